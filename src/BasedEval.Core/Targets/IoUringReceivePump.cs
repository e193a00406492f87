using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace BasedEval.Core.Targets;

/// <summary>
/// The receive pump on io_uring: each socket has a multishot recvmsg armed in the kernel, which takes every arrival into
/// a buffer of its own, with its own receive stamp, while it is still alone in the socket. The kernel does that work
/// for the pump's thread even while the thread cannot run managed code: a garbage collection suspends every thread that
/// comes back from the kernel, and an epoll pump then reads nothing for the collection's milliseconds, so that the
/// chunks of those milliseconds merge under the last one's stamp (at 64 streams on two cores, 1–3 % of first chunks
/// came 2–20 ms late that way). Here the kernel interrupts the waiting thread to receive, and the stamps stay exact.
/// The ring is set up without cooperative task running on purpose: that interruption is what keeps the stamps.
/// </summary>
internal sealed unsafe partial class IoUringReceivePump : ReceivePump
{
    private const uint SubmissionEntries = 256;
    private const uint CompletionEntries = 8192;
    private const ushort BufferGroup = 1;

    // Each arrival takes one buffer until the pump copies it out. 2,048 cover a 20 ms pause at 64 streams of 1 ms chunks;
    // should they run out, a socket's multishot ends and is armed again as soon as buffers are back.
    private const int BufferCount = 2048;
    private const int BufferBytes = 4096;

    // Room for SCM_TIMESTAMPNS (a 16-byte header and a 16-byte timespec) and one more message the kernel may add.
    private const int ControlBytes = 64;

    private const ulong WakeUserData = ulong.MaxValue;
    private const ulong CancelUserData = ulong.MaxValue - 1;
    private const int Eintr = 4;
    private const int Eagain = 11;
    private const int Ebusy = 16;
    private const int Enobufs = 105;
    private const int Ecanceled = 125;
    private const int EventFdCloseOnExec = 0x80000;
    private const int EventFdNonBlocking = 0x800;

    private readonly IoUring _ring;
    private readonly IoUring.BufferRingEntry* _bufferRing;
    private readonly byte* _buffers;
    private readonly KernelTimestampedStream.MessageHeader* _template;
    private readonly int _wakeFd;
    private readonly ConcurrentQueue<(Command Command, PumpedReceiver Receiver)> _commands = new();

    // The pump thread's own: which sockets are armed, and whether each should be.
    private readonly Dictionary<ulong, Registration> _registrations = [];
    private ushort _bufferTail;
    private volatile bool _stopped;

    private IoUringReceivePump(IoUring ring, IoUring.BufferRingEntry* bufferRing, byte* buffers, KernelTimestampedStream.MessageHeader* template, int wakeFd)
    {
        _ring = ring;
        _bufferRing = bufferRing;
        _buffers = buffers;
        _template = template;
        _wakeFd = wakeFd;
        for (var id = 0; id < BufferCount; id++)
        {
            ReturnBuffer(id);
        }

        new Thread(Run) { IsBackground = true, Name = "BasedEval receive pump (io_uring)" }.Start();
    }

    private enum Command
    {
        Register,
        Watch,
        Unwatch,
        Forget,
    }

    /// <summary>
    /// A new pump; null where io_uring, provided-buffer rings or multishot recvmsg are missing (Linux before 6.0, a
    /// sandbox that filters io_uring) or the layouts declared here do not apply (x64 Linux only).
    /// </summary>
    public static IoUringReceivePump? TryStart()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64 || Environment.OSVersion.Version < new Version(6, 0))
        {
            return null;
        }

        var ring = IoUring.TryCreate(SubmissionEntries, CompletionEntries);
        if (ring is null)
        {
            return null;
        }

        var bufferRing = (IoUring.BufferRingEntry*)NativeMemory.AlignedAlloc((nuint)(BufferCount * sizeof(IoUring.BufferRingEntry)), 4096);
        NativeMemory.Clear(bufferRing, (nuint)(BufferCount * sizeof(IoUring.BufferRingEntry)));
        var buffers = (byte*)NativeMemory.AlignedAlloc(BufferCount * BufferBytes, 4096);
        var template = (KernelTimestampedStream.MessageHeader*)NativeMemory.AllocZeroed((nuint)sizeof(KernelTimestampedStream.MessageHeader));
        template->ControlLength = ControlBytes;
        var wakeFd = -1;
        if (!ring.TryRegisterBufferRing(bufferRing, BufferCount, BufferGroup) || (wakeFd = EventFd(0, EventFdCloseOnExec | EventFdNonBlocking)) < 0)
        {
            // The kernel keeps a registered ring's memory only as long as the ring lives, and the ring goes with it.
            ring.Dispose();
            NativeMemory.AlignedFree(bufferRing);
            NativeMemory.AlignedFree(buffers);
            NativeMemory.Free(template);
            return null;
        }

        return new IoUringReceivePump(ring, bufferRing, buffers, template, wakeFd);
    }

    internal override void Watch(PumpedReceiver receiver, bool watch) => Send(watch ? Command.Watch : Command.Unwatch, receiver);

    internal override void Forget(PumpedReceiver receiver) => Send(Command.Forget, receiver);

    protected override bool Register(PumpedReceiver receiver)
    {
        if (_stopped)
        {
            return false;
        }

        Send(Command.Register, receiver);
        return true;
    }

    /// <summary>Every change is made on the pump's thread: io_uring delivers a request's work to the thread that submitted it.</summary>
    private void Send(Command command, PumpedReceiver receiver)
    {
        _commands.Enqueue((command, receiver));
        var one = 1UL;
        _ = Write(_wakeFd, &one, sizeof(ulong));
    }

    private void Run()
    {
        RaisePriorityWhenAsked();
        _ring.PrepareMultishotPoll(_wakeFd, WakeUserData);
        while (true)
        {
            TakeCommands();
            var result = _ring.SubmitAndWait(wait: true);
            // EBUSY and EAGAIN: the kernel holds completions the ring had no room for; taking these makes room.
            if (result < 0 && result is not -Eintr and not -Ebusy and not -Eagain)
            {
                Stop($"io_uring_enter failed: {Marshal.GetPInvokeErrorMessage(-result)}");
                return;
            }

            while (_ring.TryTakeCompletion(out var completion))
            {
                Complete(completion);
            }
        }
    }

    private void TakeCommands()
    {
        while (_commands.TryDequeue(out var next))
        {
            var (command, receiver) = next;
            if (command == Command.Register)
            {
                var registration = new Registration(receiver);
                _registrations[receiver.Key] = registration;
                Arm(registration);
                continue;
            }

            if (!_registrations.TryGetValue(receiver.Key, out var known))
            {
                continue;
            }

            switch (command)
            {
                case Command.Watch:
                    known.Watched = true;
                    if (!known.Armed)
                    {
                        Arm(known);
                    }

                    break;
                case Command.Unwatch:
                    known.Watched = false;
                    if (known.Armed)
                    {
                        _ring.PrepareCancel(receiver.Key, CancelUserData);
                    }

                    break;
                default:
                    // Its late completions find no registration and only give their buffers back.
                    _registrations.Remove(receiver.Key);
                    if (known.Armed)
                    {
                        _ring.PrepareCancel(receiver.Key, CancelUserData);
                    }

                    break;
            }
        }
    }

    /// <summary>
    /// Arms a multishot recvmsg on the receiver's socket. The entry is submitted while the socket's handle is held, so
    /// that the kernel takes its own hold on this socket and not on a later one given the same number.
    /// </summary>
    private void Arm(Registration registration)
    {
        var socket = registration.Receiver.Socket.SafeHandle;
        var held = false;
        try
        {
            socket.DangerousAddRef(ref held);
            _ring.PrepareMultishotReceive((int)socket.DangerousGetHandle(), _template, BufferGroup, registration.Receiver.Key);
            int result;
            while ((result = _ring.SubmitAndWait(wait: false)) == -Eintr)
            {
            }

            registration.Armed = result == 0;
            if (!registration.Armed)
            {
                registration.Receiver.Fail(new IOException($"The receive pump could not watch the connection: {Marshal.GetPInvokeErrorMessage(-result)}"));
                _registrations.Remove(registration.Receiver.Key);
            }
        }
        catch (ObjectDisposedException)
        {
            _registrations.Remove(registration.Receiver.Key);
        }
        finally
        {
            if (held)
            {
                socket.DangerousRelease();
            }
        }
    }

    private void Complete(in IoUring.CompletionEntry completion)
    {
        switch (completion.UserData)
        {
            case WakeUserData:
                var count = 0UL;
                _ = Read(_wakeFd, &count, sizeof(ulong));
                if (!completion.More)
                {
                    _ring.PrepareMultishotPoll(_wakeFd, WakeUserData);
                }

                return;
            case CancelUserData:
                // The request had already ended by itself; nothing is left to cancel.
                return;
        }

        _registrations.TryGetValue(completion.UserData, out var registration);
        if (completion.BufferId is { } bufferId)
        {
            if (registration is not null && completion.Result >= 0)
            {
                Receive(registration, _buffers + ((nint)bufferId * BufferBytes), completion.More);
            }

            ReturnBuffer(bufferId);
        }
        else if (registration is not null && completion.Result < 0 && completion.Result is not -Enobufs and not -Ecanceled)
        {
            registration.Receiver.Fail(new IOException($"Unable to read data from the transport connection: {Marshal.GetPInvokeErrorMessage(-completion.Result)}"));
            _registrations.Remove(completion.UserData);
            return;
        }

        if (!completion.More && registration is not null && _registrations.ContainsKey(completion.UserData))
        {
            // Ended by a cancellation, by running out of buffers, or by the kernel's own limits: armed again if still wanted.
            registration.Armed = false;
            if (registration.Watched)
            {
                Arm(registration);
            }
        }
    }

    /// <summary>One arrival, as the kernel laid it out: the header, the control messages, then the bytes.</summary>
    private void Receive(Registration registration, byte* buffer, bool more)
    {
        var message = (IoUring.ReceivedMessage*)buffer;
        var control = buffer + sizeof(IoUring.ReceivedMessage);
        if (message->PayloadLength > 0)
        {
            registration.Receiver.Deliver(new ReadOnlySpan<byte>(control + ControlBytes, (int)message->PayloadLength), KernelTimestampedStream.KernelUtcTicks(control, message->ControlLength));
        }
        else if (!more)
        {
            registration.Receiver.End();
            _registrations.Remove(registration.Receiver.Key);
        }
    }

    /// <summary>Puts a buffer back at the ring's tail, where the kernel takes the next one from.</summary>
    private void ReturnBuffer(int bufferId)
    {
        var slot = _bufferRing + (_bufferTail & (BufferCount - 1));
        slot->Address = (ulong)(_buffers + ((nint)bufferId * BufferBytes));
        slot->Length = BufferBytes;
        slot->BufferId = (ushort)bufferId;
        _bufferTail++;
        Volatile.Write(ref _bufferRing->Tail, _bufferTail);
    }

    /// <summary>A ring that fails is broken for good: its readers learn it from their next read, new sockets are refused.</summary>
    private void Stop(string reason)
    {
        _stopped = true;
        while (_commands.TryDequeue(out var next))
        {
            next.Receiver.Fail(new IOException($"The receive pump stopped: {reason}"));
        }

        foreach (var registration in _registrations.Values)
        {
            registration.Receiver.Fail(new IOException($"The receive pump stopped: {reason}"));
        }

        _registrations.Clear();
    }

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    private static partial int EventFd(uint initial, int flags);

    [LibraryImport("libc", EntryPoint = "write")]
    private static partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "read")]
    private static partial nint Read(int fd, void* buffer, nuint count);

    /// <summary>One socket as the pump thread knows it.</summary>
    private sealed class Registration(PumpedReceiver receiver)
    {
        public PumpedReceiver Receiver { get; } = receiver;

        /// <summary>Whether a multishot recvmsg is in the kernel for it, until its last completion.</summary>
        public bool Armed { get; set; }

        /// <summary>Whether its reader wants more: false while the reader lags far behind.</summary>
        public bool Watched { get; set; } = true;
    }
}

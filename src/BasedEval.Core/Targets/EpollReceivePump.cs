using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace BasedEval.Core.Targets;

/// <summary>
/// The receive pump where io_uring is refused: an epoll thread that reads each readable socket itself. While this
/// process is paused (a garbage collection stops every thread that returns from the kernel) it reads nothing, and what
/// arrives meanwhile is merged under the later stamp.
/// </summary>
internal sealed partial class EpollReceivePump : ReceivePump
{
    private const int EpollCloseOnExec = 0x80000;
    private const int EpollAdd = 1;
    private const int EpollDelete = 2;
    private const int EpollModify = 3;
    private const uint EpollIn = 0x001;
    private const uint EpollReadHangUp = 0x2000;

    private readonly int _epoll;
    private readonly ConcurrentDictionary<ulong, PumpedReceiver> _receivers = new();

    // Every recvmsg lands here first, on the pump's thread only; a segment then keeps a copy of just what arrived.
    private readonly byte[] _scratch = new byte[PumpedReceiver.SegmentBytes];

    private EpollReceivePump(int epoll)
    {
        _epoll = epoll;
        new Thread(Run) { IsBackground = true, Name = "BasedEval receive pump (epoll)" }.Start();
    }

    /// <summary>A new pump; null where epoll_event's layout is not the one declared here (x64 Linux only).</summary>
    public static EpollReceivePump? TryStart()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return null;
        }

        var epoll = EpollCreate(EpollCloseOnExec);
        return epoll < 0 ? null : new EpollReceivePump(epoll);
    }

    internal override void Watch(PumpedReceiver receiver, bool watch) =>
        _ = Control(EpollModify, receiver.Socket.SafeHandle, watch ? EpollIn | EpollReadHangUp : 0, receiver.Key);

    /// <summary>
    /// Epoll first, then the key, so that the pump never meets a readable socket it no longer knows (level-triggered, it
    /// would wake for it again at once, and a real-time thread would spin).
    /// </summary>
    internal override void Forget(PumpedReceiver receiver)
    {
        _ = Control(EpollDelete, receiver.Socket.SafeHandle, 0, receiver.Key);
        _receivers.TryRemove(receiver.Key, out _);
    }

    protected override bool Register(PumpedReceiver receiver)
    {
        _receivers[receiver.Key] = receiver;
        if (Control(EpollAdd, receiver.Socket.SafeHandle, EpollIn | EpollReadHangUp, receiver.Key) != 0)
        {
            _receivers.TryRemove(receiver.Key, out _);
            return false;
        }

        return true;
    }

    private unsafe int Control(int operation, SafeSocketHandle socket, uint events, ulong key)
    {
        var added = false;
        try
        {
            socket.DangerousAddRef(ref added);
            var change = new EpollEvent { Events = events, Data = key };
            return EpollControl(_epoll, operation, (int)socket.DangerousGetHandle(), &change);
        }
        catch (ObjectDisposedException)
        {
            return -1;
        }
        finally
        {
            if (added)
            {
                socket.DangerousRelease();
            }
        }
    }

    private unsafe void Run()
    {
        RaisePriorityWhenAsked();
        var events = new EpollEvent[64];
        fixed (EpollEvent* ready = events)
        {
            while (true)
            {
                var count = EpollWait(_epoll, ready, events.Length, -1);
                if (count < 0)
                {
                    if (Marshal.GetLastPInvokeError() == KernelTimestampedStream.Eintr)
                    {
                        continue;
                    }

                    // An epoll that fails is broken for good; its readers learn it from their next read.
                    foreach (var receiver in _receivers.Values)
                    {
                        receiver.Fail(new IOException($"The receive pump stopped: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}"));
                    }

                    return;
                }

                for (var i = 0; i < count; i++)
                {
                    if (_receivers.TryGetValue(ready[i].Data, out var receiver))
                    {
                        Receive(receiver);
                    }
                }
            }
        }
    }

    /// <summary>One recvmsg for a readable socket.</summary>
    private void Receive(PumpedReceiver receiver)
    {
        if (receiver.Closed)
        {
            // Being forgotten on another thread: finish that here, or the readable socket wakes the pump again and again.
            Forget(receiver);
            return;
        }

        try
        {
            var received = KernelTimestampedStream.Receive(receiver.Socket.SafeHandle, _scratch, KernelTimestampedStream.MsgDontWait, out var kernelUtcTicks);
            if (received > 0)
            {
                receiver.Deliver(_scratch.AsSpan(0, received), kernelUtcTicks);
            }
            else if (received == 0)
            {
                receiver.End();
                Forget(receiver);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            receiver.Fail(e);
            Forget(receiver);
        }
    }

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    private static partial int EpollCreate(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    private static unsafe partial int EpollControl(int epoll, int operation, int fd, EpollEvent* change);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    private static unsafe partial int EpollWait(int epoll, EpollEvent* events, int capacity, int timeoutMs);

    /// <summary>struct epoll_event, packed on x86-64: 12 bytes.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    internal struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }
}

using System.Diagnostics;
using System.Net.Http;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace BasedEval.Core.Targets;

/// <summary>
/// A TCP connection whose reads carry the kernel's receive timestamp (SO_TIMESTAMPNS on Linux), so that a chunk's arrival
/// is the moment its bytes reached this machine, not the later moment a busy thread pool got round to reading them. On two
/// cores with 64 streams that difference is milliseconds, and it would read as the server's latency.
/// Where the kernel offers no timestamps the connection is a plain <see cref="NetworkStream"/>.
/// </summary>
internal sealed partial class KernelTimestampedStream : Stream
{
    private const int SolSocket = 1;
    private const int SoTimestampNs = 35;
    internal const int MsgDontWait = 0x40;
    private const int MsgNoSignal = 0x4000;
    private const int Eagain = 11;
    internal const int Eintr = 4;
    private const int ControlBytes = 64;

    private readonly Socket _socket;

    // Where the process has a receive pump, it does all the reading and this stream takes what it received.
    private readonly PumpedReceiver? _pumped;

    private KernelTimestampedStream(Socket socket, PumpedReceiver? pumped) => (_socket, _pumped) = (socket, pumped);

    /// <summary>Whether this platform's msghdr and cmsghdr match the layouts declared here (64-bit Linux).</summary>
    public static bool Supported => OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    /// <summary>The connect callback of a SocketsHttpHandler: the handler's own default connection, timestamped.</summary>
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return Wrap(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The connected socket as a stream, timestamped where the kernel agrees to stamp it. A response's chunks are read by
    /// the process's <see cref="ReceivePump"/> as they arrive; <paramref name="pumped"/> false reads on the caller's
    /// turn, for a server whose requests come in one segment each and whose throughput one pump thread would cap.
    /// </summary>
    public static Stream Wrap(Socket socket, bool pumped = true) => Wrap(socket, pumped ? ReceivePump.Shared : null);

    /// <summary>The connected socket as a stream read by <paramref name="pump"/>, or on the caller's turn where it is null.</summary>
    internal static Stream Wrap(Socket socket, ReceivePump? pump)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (Supported)
        {
            try
            {
                socket.SetRawSocketOption(SolSocket, SoTimestampNs, BitConverter.GetBytes(1));
                return new KernelTimestampedStream(socket, pump?.TryRegister(socket));
            }
            catch (SocketException)
            {
                // A kernel or sandbox that refuses the option: arrivals are then stamped when read.
            }
        }

        return new NetworkStream(socket, ownsSocket: true);
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var stamp = ArrivalStamp.Current;
        if (_pumped is not null)
        {
            return await _pumped.ReadAsync(buffer, stamp, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            while (true)
            {
                var received = TryReceive(buffer.Span, stamp);
                if (received >= 0)
                {
                    return received;
                }

                // A zero-byte receive completes when data (or the end) is there, without consuming it.
                await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken);
            }
        }
        catch (SocketException e)
        {
            throw new IOException($"Unable to read data from the transport connection: {e.Message}", e);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(Span<byte> buffer)
    {
        var stamp = ArrivalStamp.Current;
        if (_pumped is not null)
        {
            var bytes = new byte[buffer.Length];
            var read = _pumped.ReadAsync(bytes, stamp, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            bytes.AsSpan(0, read).CopyTo(buffer);
            return read;
        }

        try
        {
            while (true)
            {
                var received = TryReceive(buffer, stamp);
                if (received >= 0)
                {
                    return received;
                }

                _socket.Poll(-1, SelectMode.SelectRead);
            }
        }
        catch (SocketException e)
        {
            throw new IOException($"Unable to read data from the transport connection: {e.Message}", e);
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            buffer = buffer[SendNow(buffer.Span)..];
            while (!buffer.IsEmpty)
            {
                buffer = buffer[await _socket.SendAsync(buffer, SocketFlags.None, cancellationToken)..];
            }
        }
        catch (SocketException e)
        {
            throw new IOException($"Unable to write data to the transport connection: {e.Message}", e);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        try
        {
            buffer = buffer[SendNow(buffer)..];
            while (!buffer.IsEmpty)
            {
                buffer = buffer[_socket.Send(buffer)..];
            }
        }
        catch (SocketException e)
        {
            throw new IOException($"Unable to write data to the transport connection: {e.Message}", e);
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _pumped?.Dispose();
            _socket.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>
    /// One send(2) that does not wait, stamped as request start just before it where this write carries the request:
    /// the socket's own SendAsync runs enough managed code first (and may allocate, and so collect) that a stamp taken
    /// before it came milliseconds early now and then. Returns the bytes sent; the caller sends the rest.
    /// </summary>
    private unsafe int SendNow(ReadOnlySpan<byte> buffer)
    {
        var stamp = ArrivalStamp.Current;
        var added = false;
        try
        {
            _socket.SafeHandle.DangerousAddRef(ref added);
            fixed (byte* data = buffer)
            {
                stamp?.Sending();
                var sent = Send(_socket.SafeHandle.DangerousGetHandle(), data, (nuint)buffer.Length, MsgDontWait | MsgNoSignal);
                if (sent >= 0)
                {
                    return (int)sent;
                }

                var error = Marshal.GetLastPInvokeError();
                return error is Eagain or Eintr
                    ? 0
                    : throw new IOException($"Unable to write data to the transport connection: {Marshal.GetPInvokeErrorMessage(error)}");
            }
        }
        finally
        {
            if (added)
            {
                _socket.SafeHandle.DangerousRelease();
            }
        }
    }

    /// <summary>Bytes received without waiting (0 at the end of the stream), or −1 when none are there yet.</summary>
    private int TryReceive(Span<byte> buffer, ArrivalStamp? stamp)
    {
        var received = Receive(buffer, MsgDontWait, out var kernelUtcTicks);
        if (received > 0 && stamp is not null && kernelUtcTicks is { } ticks)
        {
            stamp.Record(ticks);
        }

        return received;
    }

    /// <summary>One recvmsg: bytes received, 0 at the end of the stream, −1 when none are there yet; the kernel's stamp.</summary>
    private int Receive(Span<byte> buffer, int flags, out long? kernelUtcTicks) => Receive(_socket.SafeHandle, buffer, flags, out kernelUtcTicks);

    /// <summary>One recvmsg on <paramref name="socket"/>, as above.</summary>
    internal static unsafe int Receive(SafeSocketHandle socket, Span<byte> buffer, int flags, out long? kernelUtcTicks)
    {
        var control = stackalloc byte[ControlBytes];
        fixed (byte* data = buffer)
        {
            var vector = new IoVector { Base = data, Length = (nuint)buffer.Length };
            var message = new MessageHeader { Vectors = &vector, VectorCount = 1, Control = control, ControlLength = ControlBytes };
            var received = ReceiveMessage(socket, &message, flags);
            if (received < 0)
            {
                var error = Marshal.GetLastPInvokeError();
                kernelUtcTicks = null;
                return error is Eagain or Eintr
                    ? -1
                    : throw new IOException($"Unable to read data from the transport connection: {Marshal.GetPInvokeErrorMessage(error)}");
            }

            kernelUtcTicks = received > 0 ? KernelUtcTicks(control, message.ControlLength) : null;
            return (int)received;
        }
    }

    /// <summary>The SCM_TIMESTAMPNS control message's time (CLOCK_REALTIME) as UTC ticks, if the kernel attached one.</summary>
    internal static unsafe long? KernelUtcTicks(byte* control, nuint length)
    {
        var headerSize = sizeof(ControlMessageHeader);
        for (nuint offset = 0; offset + (nuint)headerSize <= length;)
        {
            var header = (ControlMessageHeader*)(control + offset);
            if (header->Length < (nuint)headerSize)
            {
                return null;
            }

            if (header->Level == SolSocket && header->Type == SoTimestampNs && header->Length >= (nuint)(headerSize + sizeof(TimeSpec)))
            {
                var time = (TimeSpec*)(control + offset + (nuint)headerSize);
                return DateTime.UnixEpoch.Ticks + time->Seconds * TimeSpan.TicksPerSecond + time->Nanoseconds / 100;
            }

            // CMSG_NXTHDR: each message is padded to the alignment of size_t.
            offset += (header->Length + (nuint)(sizeof(nuint) - 1)) & ~(nuint)(sizeof(nuint) - 1);
        }

        return null;
    }

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    private static unsafe partial nint Send(nint socket, byte* data, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    private static unsafe partial nint ReceiveMessage(SafeSocketHandle socket, MessageHeader* message, int flags);

    /// <summary>struct iovec.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct IoVector
    {
        public byte* Base;
        public nuint Length;
    }

    /// <summary>struct msghdr of 64-bit Linux (socklen_t is 32 bits, padded).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IoVector* Vectors;
        public nuint VectorCount;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary>struct cmsghdr of 64-bit Linux; the data follows at the next size_t boundary.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct ControlMessageHeader
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    /// <summary>struct timespec of 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using BasedEval.Core.Targets;

namespace BasedEval.Tests.Targets;

/// <summary>Arrival stamps from the kernel: the structures recvmsg fills, and a real loopback connection read late.</summary>
public class KernelTimestampedStreamTests
{
    [Fact]
    public void The_recvmsg_structures_have_the_64_bit_Linux_layout()
    {
        Assert.Equal(16, Marshal.SizeOf<KernelTimestampedStream.IoVector>());
        Assert.Equal(56, Marshal.SizeOf<KernelTimestampedStream.MessageHeader>());
        Assert.Equal(
            new[] { 0, 8, 16, 24, 32, 40, 48 },
            new[] { "Name", "NameLength", "Vectors", "VectorCount", "Control", "ControlLength", "Flags" }
                .Select(field => (int)Marshal.OffsetOf<KernelTimestampedStream.MessageHeader>(field)));
        Assert.Equal(16, Marshal.SizeOf<KernelTimestampedStream.ControlMessageHeader>());
        Assert.Equal(12, (int)Marshal.OffsetOf<KernelTimestampedStream.ControlMessageHeader>("Type"));
        Assert.Equal(16, Marshal.SizeOf<KernelTimestampedStream.TimeSpec>());
    }

    [Fact]
    public unsafe void The_timestamp_is_found_behind_another_control_message_at_its_aligned_place()
    {
        var control = new byte[80];
        // An unrelated 20-byte message (level 0, type 1) padded to 24, then SCM_TIMESTAMPNS: 1 s and 2,345,600 ns after the epoch.
        BitConverter.TryWriteBytes(control.AsSpan(0), 20UL);
        BitConverter.TryWriteBytes(control.AsSpan(12), 1);
        BitConverter.TryWriteBytes(control.AsSpan(24), 32UL);
        BitConverter.TryWriteBytes(control.AsSpan(32), 1);
        BitConverter.TryWriteBytes(control.AsSpan(36), 35);
        BitConverter.TryWriteBytes(control.AsSpan(40), 1L);
        BitConverter.TryWriteBytes(control.AsSpan(48), 2_345_600L);

        fixed (byte* start = control)
        {
            Assert.Equal(DateTime.UnixEpoch.Ticks + TimeSpan.TicksPerSecond + 23_456, KernelTimestampedStream.KernelUtcTicks(start, 56));
            Assert.Null(KernelTimestampedStream.KernelUtcTicks(start, 24));
        }
    }

    [Theory]
    [InlineData(0.0, 30.0, 30.0)] // no stamp: when it was read
    [InlineData(12.5, 30.0, 12.5)] // the kernel's time
    [InlineData(-1.0, 30.0, 30.0)] // before the request started: a clock step, not credible
    [InlineData(31.0, 30.0, 30.0)] // after it was read: not credible either
    public void An_arrival_is_the_kernels_stamp_only_where_it_is_credible(double stampMs, double readMs, double expectedMs)
    {
        var start = new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
        var stamp = new ArrivalStamp();
        if (stampMs != 0)
        {
            var ticks = start.UtcTicks + (long)(stampMs * TimeSpan.TicksPerMillisecond);
            stamp.Record(ticks);
        }

        Assert.Equal(expectedMs, stamp.ArrivalMs(start, readMs), 9);
    }

    [Fact]
    public async Task Request_start_is_the_first_socket_write_once_the_body_is_being_written()
    {
        using var connection = await LoopbackConnection.OpenAsync();
        var (accepted, stream) = (connection.Accepted, connection.Stream);
        var stamp = new ArrivalStamp();
        ArrivalStamp.Current = stamp;

        // Bytes written before the body (a TLS handshake on a new connection) are not the request.
        await stream.WriteAsync("hello"u8.ToArray(), TestContext.Current.CancellationToken);
        Assert.Equal(0, stamp.SentTimestamp);
        stamp.BodyStarted();
        var before = Stopwatch.GetTimestamp();
        await stream.WriteAsync("POST / HTTP/1.1\r\n\r\n"u8.ToArray(), TestContext.Current.CancellationToken);
        var sent = stamp.SentTimestamp;
        await stream.WriteAsync("more"u8.ToArray(), TestContext.Current.CancellationToken);

        Assert.InRange(sent, before, Stopwatch.GetTimestamp());
        Assert.Equal(sent, stamp.SentTimestamp);
    }

    [Fact]
    public async Task Bytes_read_long_after_they_arrived_are_stamped_with_their_arrival()
    {
        using var connection = await LoopbackConnection.OpenAsync();
        var (accepted, stream) = (connection.Accepted, connection.Stream);
        Assert.IsType<KernelTimestampedStream>(stream);

        var sentUtc = DateTimeOffset.UtcNow;
        await accepted.SendAsync("data: {}\n\n"u8.ToArray(), TestContext.Current.CancellationToken);
        // The reader comes 300 ms late, as a starved thread pool would.
        await Task.Delay(300, TestContext.Current.CancellationToken);
        var stamp = new ArrivalStamp();
        ArrivalStamp.Current = stamp;
        var buffer = new byte[64];
        var read = await stream.ReadAsync(buffer, TestContext.Current.CancellationToken);
        var readMs = (DateTimeOffset.UtcNow - sentUtc).TotalMilliseconds;

        Assert.Equal(10, read);
        // A timer may fire a little before its 300 ms on the wall clock; late enough is what matters.
        Assert.True(readMs >= 250, $"read {readMs:F1} ms after sending; the test needs a late read");
        Assert.InRange(stamp.ArrivalMs(sentUtc, readMs), 0, 50);

        // The end of the stream reads as 0 bytes, as a NetworkStream's does.
        accepted.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await stream.ReadAsync(buffer, TestContext.Current.CancellationToken));
    }

    [Fact]
    public void The_epoll_event_has_the_packed_x64_layout()
    {
        Assert.SkipUnless(ReceivePump.Shared is not null, "the receive pump runs on x64 Linux only");
        Assert.Equal(12, Marshal.SizeOf<ReceivePump.EpollEvent>());
        Assert.Equal(4, (int)Marshal.OffsetOf<ReceivePump.EpollEvent>("Data"));
    }

    [Fact]
    public async Task Chunks_read_late_keep_their_own_arrivals_instead_of_the_last_ones()
    {
        Assert.SkipUnless(ReceivePump.Shared is not null, "the receive pump runs on x64 Linux only");
        using var connection = await LoopbackConnection.OpenAsync();
        var cancel = TestContext.Current.CancellationToken;
        var startUtc = DateTimeOffset.UtcNow;
        await connection.Accepted.SendAsync("data: 1\n\n"u8.ToArray(), cancel);
        await Task.Delay(100, cancel);
        await connection.Accepted.SendAsync("data: 2\n\n"u8.ToArray(), cancel);
        // Both wait unread; the kernel alone would hand them over as one read stamped with the second's arrival.
        await Task.Delay(200, cancel);

        var stamp = new ArrivalStamp();
        ArrivalStamp.Current = stamp;
        var buffer = new byte[64];
        var first = await connection.Stream.ReadAsync(buffer, cancel);
        var firstArrival = stamp.ArrivalMs(startUtc, (DateTimeOffset.UtcNow - startUtc).TotalMilliseconds);
        var second = await connection.Stream.ReadAsync(buffer, cancel);
        var secondArrival = stamp.ArrivalMs(startUtc, (DateTimeOffset.UtcNow - startUtc).TotalMilliseconds);

        Assert.Equal(9, first);
        Assert.Equal(9, second);
        // Each its own: the first at once, the second about 100 ms later (a timer may fire a little early).
        Assert.InRange(firstArrival, 0, 90);
        Assert.True(secondArrival - firstArrival >= 90, $"second chunk {secondArrival - firstArrival:F1} ms after the first");
    }

    [Fact]
    public async Task A_reader_far_behind_gets_every_byte_in_order_and_then_the_end()
    {
        Assert.SkipUnless(ReceivePump.Shared is not null, "the receive pump runs on x64 Linux only");
        using var connection = await LoopbackConnection.OpenAsync();
        var cancel = TestContext.Current.CancellationToken;
        // Far more than the pump holds for one connection: it must stop reading, and TCP must hold the sender back.
        var sent = Enumerable.Range(0, 4 * 1024 * 1024).Select(i => (byte)(i * 7 % 251)).ToArray();
        var sending = Task.Run(async () =>
        {
            await connection.Accepted.SendAsync(sent, cancel);
            connection.Accepted.Shutdown(SocketShutdown.Send);
        }, cancel);
        await Task.Delay(300, cancel);

        var received = new MemoryStream();
        var buffer = new byte[100_000];
        int read;
        while ((read = await connection.Stream.ReadAsync(buffer, cancel)) > 0)
        {
            received.Write(buffer, 0, read);
        }

        await sending;
        Assert.Equal(sent, received.ToArray());
        Assert.Equal(0, await connection.Stream.ReadAsync(buffer, cancel));
    }

    [Fact]
    public async Task A_read_waiting_when_the_stream_is_disposed_ends_with_an_error()
    {
        using var connection = await LoopbackConnection.OpenAsync();
        var pending = connection.Stream.ReadAsync(new byte[64], TestContext.Current.CancellationToken).AsTask();
        await Task.Delay(50, TestContext.Current.CancellationToken);

        connection.Stream.Dispose();

        await Assert.ThrowsAnyAsync<Exception>(() => pending.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
    }

    /// <summary>A loopback TCP connection: the server's accepted socket, and the client's end as a timestamped stream.</summary>
    private sealed class LoopbackConnection : IDisposable
    {
        private readonly TcpListener _listener;

        private LoopbackConnection(TcpListener listener, Socket accepted, Stream stream) => (_listener, Accepted, Stream) = (listener, accepted, stream);

        public Socket Accepted { get; }

        public Stream Stream { get; }

        public static async Task<LoopbackConnection> OpenAsync()
        {
            Assert.SkipUnless(KernelTimestampedStream.Supported, "kernel receive timestamps are read on 64-bit Linux only");
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(listener.LocalEndpoint, TestContext.Current.CancellationToken);
            var accepted = await listener.AcceptSocketAsync(TestContext.Current.CancellationToken);
            var connection = new LoopbackConnection(listener, accepted, KernelTimestampedStream.Wrap(client));
            await connection.WaitForStampsAsync();
            return connection;
        }

        /// <summary>
        /// Linux switches receive stamping on for the whole machine a moment after the first socket asks for it, so the
        /// first segments may come unstamped: bytes are exchanged until one carries a stamp.
        /// </summary>
        private async Task WaitForStampsAsync()
        {
            var previous = ArrivalStamp.Current;
            var stamp = new ArrivalStamp();
            ArrivalStamp.Current = stamp;
            for (var attempt = 0; attempt < 50 && stamp.LastUtcTicks == 0; attempt++)
            {
                await Accepted.SendAsync(new byte[1], TestContext.Current.CancellationToken);
                Assert.Equal(1, await Stream.ReadAsync(new byte[1], TestContext.Current.CancellationToken));
                if (stamp.LastUtcTicks == 0)
                {
                    await Task.Delay(20, TestContext.Current.CancellationToken);
                }
            }

            ArrivalStamp.Current = previous;
            Assert.True(stamp.LastUtcTicks != 0, "the kernel never stamped a received segment");
        }

        public void Dispose()
        {
            Stream.Dispose();
            Accepted.Dispose();
            _listener.Dispose();
        }
    }
}

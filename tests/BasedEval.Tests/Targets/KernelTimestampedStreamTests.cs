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
        var readStartMs = (DateTimeOffset.UtcNow - sentUtc).TotalMilliseconds;
        var read = await stream.ReadAsync(buffer, TestContext.Current.CancellationToken);
        var readMs = (DateTimeOffset.UtcNow - sentUtc).TotalMilliseconds;

        Assert.Equal(10, read);
        // A timer may fire a little before its 300 ms on the wall clock; late enough is what matters.
        Assert.True(readMs >= 250, $"read {readMs:F1} ms after sending; the test needs a late read");
        // Stamped between the send and the read's start, however late the read: a stamp taken by the read itself, or
        // none (which reads as the read's own time), would come after the read began.
        var arrivalMs = stamp.ArrivalMs(sentUtc, readMs);
        Assert.True(arrivalMs >= 0 && arrivalMs < readStartMs, $"stamped {arrivalMs:F1} ms after sending; the read began at {readStartMs:F1} ms");

        // The end of the stream reads as 0 bytes, as a NetworkStream's does.
        accepted.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await stream.ReadAsync(buffer, TestContext.Current.CancellationToken));
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
}

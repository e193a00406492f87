using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using BasedEval.Core.Scoring.Execution;
using BasedEval.Core.Targets;

namespace BasedEval.Tests.Targets;

/// <summary>
/// The two receive pumps, each on real loopback connections: io_uring, which the process uses where the kernel offers
/// it, and epoll, which it falls back to.
/// </summary>
public class ReceivePumpTests
{
    private static readonly Lazy<ReceivePump?> IoUringPump = new(IoUringReceivePump.TryStart);
    private static readonly Lazy<ReceivePump?> EpollPump = new(EpollReceivePump.TryStart);

    public static TheoryData<string> Pumps => new("io_uring", "epoll");

    [Fact]
    public void The_epoll_event_has_the_packed_x64_layout()
    {
        Assert.Equal(12, Marshal.SizeOf<EpollReceivePump.EpollEvent>());
        Assert.Equal(4, (int)Marshal.OffsetOf<EpollReceivePump.EpollEvent>("Data"));
    }

    [Fact]
    public void The_io_uring_structures_have_the_x64_layouts_of_linux_io_uring_h()
    {
        Assert.Equal(120, Marshal.SizeOf<IoUring.Parameters>());
        Assert.Equal(new[] { 0, 4, 8, 20, 40, 80 }, Offsets<IoUring.Parameters>("SubmissionEntries", "CompletionEntries", "Flags", "Features", "Submission", "Completion"));
        Assert.Equal(40, Marshal.SizeOf<IoUring.SubmissionRingOffsets>());
        Assert.Equal(new[] { 0, 4, 8, 24 }, Offsets<IoUring.SubmissionRingOffsets>("Head", "Tail", "RingMask", "Array"));
        Assert.Equal(40, Marshal.SizeOf<IoUring.CompletionRingOffsets>());
        Assert.Equal(new[] { 0, 4, 8, 20 }, Offsets<IoUring.CompletionRingOffsets>("Head", "Tail", "RingMask", "Entries"));
        Assert.Equal(64, Marshal.SizeOf<IoUring.SubmissionEntry>());
        Assert.Equal(
            new[] { 0, 1, 2, 4, 8, 16, 24, 28, 32, 40 },
            Offsets<IoUring.SubmissionEntry>("Opcode", "Flags", "IoPriority", "Fd", "Offset", "Address", "Length", "OperationFlags", "UserData", "BufferGroup"));
        Assert.Equal(16, Marshal.SizeOf<IoUring.CompletionEntry>());
        Assert.Equal(new[] { 0, 8, 12 }, Offsets<IoUring.CompletionEntry>("UserData", "Result", "Flags"));
        Assert.Equal(40, Marshal.SizeOf<IoUring.BufferRingRegistration>());
        Assert.Equal(new[] { 0, 8, 12 }, Offsets<IoUring.BufferRingRegistration>("RingAddress", "RingEntries", "Group"));
        Assert.Equal(16, Marshal.SizeOf<IoUring.BufferRingEntry>());
        Assert.Equal(new[] { 0, 8, 12, 14 }, Offsets<IoUring.BufferRingEntry>("Address", "Length", "BufferId", "Tail"));
        Assert.Equal(16, Marshal.SizeOf<IoUring.ReceivedMessage>());
        Assert.Equal(new[] { 0, 4, 8, 12 }, Offsets<IoUring.ReceivedMessage>("NameLength", "ControlLength", "PayloadLength", "Flags"));
    }

    [Fact]
    public void The_process_uses_io_uring_where_the_kernel_offers_it()
    {
        Prerequisite.Require(OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64, "the receive pumps run on x64 Linux only");
        Prerequisite.Require(IoUringPump.Value is not null, "this kernel or sandbox refuses io_uring");
        Assert.IsType<IoUringReceivePump>(ReceivePump.Shared);
    }

    [Theory]
    [MemberData(nameof(Pumps))]
    public async Task Chunks_read_late_keep_their_own_arrivals_instead_of_the_last_ones(string kind)
    {
        using var connection = await LoopbackConnection.OpenAsync(Pump(kind));
        var cancel = TestContext.Current.CancellationToken;
        var startUtc = DateTimeOffset.UtcNow;
        await connection.Accepted.SendAsync("data: 1\n\n"u8.ToArray(), cancel);
        await Task.Delay(100, cancel);
        var secondSentMs = (DateTimeOffset.UtcNow - startUtc).TotalMilliseconds;
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
        // Each its own, on either side of the second send: one stamp for both, or the read's own time, would put the first
        // after the second send began.
        Assert.True(firstArrival >= 0 && firstArrival < secondSentMs, $"first chunk stamped {firstArrival:F1} ms in; the second was sent at {secondSentMs:F1} ms");
        Assert.True(secondArrival >= secondSentMs, $"second chunk stamped {secondArrival:F1} ms in, before it was sent at {secondSentMs:F1} ms");
    }

    [Theory]
    [MemberData(nameof(Pumps))]
    public async Task A_reader_far_behind_gets_every_byte_in_order_and_then_the_end(string kind)
    {
        using var connection = await LoopbackConnection.OpenAsync(Pump(kind));
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

    [Theory]
    [MemberData(nameof(Pumps))]
    public async Task A_read_waiting_when_the_stream_is_disposed_ends_with_an_error(string kind)
    {
        using var connection = await LoopbackConnection.OpenAsync(Pump(kind));
        var pending = connection.Stream.ReadAsync(new byte[64], TestContext.Current.CancellationToken).AsTask();
        await Task.Delay(50, TestContext.Current.CancellationToken);

        connection.Stream.Dispose();

        await Assert.ThrowsAnyAsync<Exception>(() => pending.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
    }

    [Theory]
    [MemberData(nameof(Pumps))]
    public async Task A_disposed_connection_is_closed_towards_the_peer(string kind)
    {
        // A socket the kernel still receives for is not closed by close(2) alone: the pump must let go of it.
        using var connection = await LoopbackConnection.OpenAsync(Pump(kind));
        connection.Stream.Dispose();

        var read = await connection.Accepted.ReceiveAsync(new byte[16], TestContext.Current.CancellationToken).AsTask()
            .WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal(0, read);
    }

    /// <summary>
    /// A sender in a process of its own writes a numbered, timestamped line every 5 ms while this process stops in full,
    /// compacting collections. The lines sent during a collection must keep arrivals of their own: the epoll pump fails
    /// this (its thread is stopped with the rest, and the lines of each pause merge under the last one's stamp), io_uring
    /// passes. Not every line, though: io_uring receives in the pump thread's context, so a busy machine that leaves the
    /// woken thread unscheduled for longer than 5 ms merges two lines in the kernel, as the kernel would for any reader.
    /// What holds however the machine schedules: every line read once, in order, under stamps that never go back, each
    /// between its last line's send and the next read's first; and most lines sent during the pauses still on their own.
    /// </summary>
    [Fact]
    public async Task Chunks_that_arrive_while_a_collection_stops_the_process_keep_their_own_arrivals()
    {
        var pump = Pump("io_uring");
        Prerequisite.RequireInstalledByCi(ChildProcess.FindOnPath("python3") is not null, "the sender is a python3 process (apt-get install python3)");
        var cancel = TestContext.Current.CancellationToken;
        using (await LoopbackConnection.OpenAsync(pump))
        {
            // Opened only to see the machine's receive stamping switched on.
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        const int lines = 100;
        const string sender = """
            import socket, sys, time
            s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.recv(1)
            for i in range(int(sys.argv[2])):
                s.sendall(b"%d %d\n" % (i, time.time_ns()))
                time.sleep(0.005)
            s.close()
            """;
        using var python = Process.Start(new ProcessStartInfo("python3", ["-c", sender, ((IPEndPoint)listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture), lines.ToString(CultureInfo.InvariantCulture)]))!;
        using var accepted = await listener.AcceptSocketAsync(cancel);
        await using var stream = KernelTimestampedStream.Wrap(accepted, pump);

        // Live objects enough that each full collection stops the process for tens of milliseconds.
        var live = Enumerable.Range(0, 1_500_000).Select(i => new object[] { i }).ToArray();
        var stamp = new ArrivalStamp();
        ArrivalStamp.Current = stamp;
        // Per read (one arrival): its text, the kernel's stamp of it, and this process's clock when it read it.
        var reads = new List<(string Text, long ArrivedNs, long ReadNs)>();
        var collections = new List<(long StartNs, long EndNs)>(capacity: 1000);
        var buffer = new byte[4096];
        await stream.WriteAsync("g"u8.ToArray(), cancel);

        // The first line shows the sender is under way; the collections then stop this process while it sends the rest.
        Assert.True(await ReadArrivalAsync() > 0);
        var pausedBefore = GC.GetTotalPauseDuration();
        var collecting = Stopwatch.StartNew();
        // The sender needs about 0.5 s more. Its exit may go unnoticed meanwhile: noticing it takes managed code, and the
        // collections leave little room for that.
        while (!python.HasExited && collecting.Elapsed < TimeSpan.FromSeconds(1.2))
        {
            var startNs = UtcNs();
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            collections.Add((startNs, UtcNs()));
        }

        var paused = GC.GetTotalPauseDuration() - pausedBefore;
        GC.KeepAlive(live);
        await python.WaitForExitAsync(cancel);
        Assert.Equal(0, python.ExitCode);
        while (await ReadArrivalAsync() > 0)
        {
        }

        // Every line once, in order, and a read holds whole lines: the kernel does not split sends this small.
        Assert.All(reads, read => Assert.EndsWith("\n", read.Text, StringComparison.Ordinal));
        var arrivals = reads.Select(read => read.Text.TrimEnd('\n').Split('\n').Select(ParseLine).ToArray()).ToArray();
        Assert.Equal(Enumerable.Range(0, lines), arrivals.SelectMany(a => a.Select(line => line.Index)));

        // Causality, not a window (a 0.1 ms allowance for the two processes reading the same clock). The kernel stamps a
        // merged read with its last line's arrival, so a stamp lies after its last line was sent and before the sender,
        // which waits 5 ms after each line, sent the first line of the next read. A stamp taken when the pump or reader
        // got to the bytes, after a pause, breaks the second bound.
        for (var i = 0; i < reads.Count; i++)
        {
            var last = arrivals[i][^1];
            Assert.True(reads[i].ArrivedNs >= last.SentNs - 100_000, $"line {last.Index} arrived {(last.SentNs - reads[i].ArrivedNs) / 1e6:0.000} ms before it was sent");
            Assert.True(reads[i].ArrivedNs <= reads[i].ReadNs, $"line {last.Index} is stamped after it was read");
            if (i + 1 < reads.Count)
            {
                var next = arrivals[i + 1][0];
                Assert.True(reads[i].ArrivedNs < next.SentNs, $"line {last.Index} is stamped {(reads[i].ArrivedNs - next.SentNs) / 1e6:0.000} ms after line {next.Index} was sent");
                Assert.True(reads[i].ArrivedNs <= reads[i + 1].ArrivedNs, $"the arrival of line {next.Index} is stamped before that of line {last.Index}");
            }
        }

        // The feature: a line sent while a collection stopped the process arrives on its own, not merged with the rest of
        // that pause. A pump that reads only when the process runs begins at most one read per collection with a line
        // sent during it, so with three lines or more to a collection it keeps no more than a third on their own.
        var sentDuring = arrivals.SelectMany(a => a.Select((line, position) => (line.SentNs, Own: position == 0)))
            .Where(line => collections.Any(c => c.StartNs < line.SentNs && line.SentNs < c.EndNs))
            .ToArray();
        var ownDuring = sentDuring.Count(line => line.Own);
        var collectionsWithLines = collections.Count(c => sentDuring.Any(line => c.StartNs < line.SentNs && line.SentNs < c.EndNs));
        var stampLate = reads.Zip(arrivals, (read, arrival) => read.ArrivedNs - arrival[^1].SentNs).Max() / 1e6;
        var readLate = reads.Zip(arrivals, (read, arrival) => read.ReadNs - arrival[0].SentNs).Max() / 1e6;
        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"stopped {paused.TotalMilliseconds:0} ms in {collections.Count} collections; {reads.Count} arrivals for {lines} lines; "
            + $"{sentDuring.Length} lines sent during {collectionsWithLines} collections, {ownDuring} of them on their own; "
            + $"arrival − last send: max {stampLate:0.000} ms; read − first send: max {readLate:0.000} ms"));
        Assert.True(paused.TotalMilliseconds >= 200, $"the collections stopped the process for only {paused.TotalMilliseconds:0} ms; the test needs longer pauses");
        Assert.True(sentDuring.Length >= 3 * collectionsWithLines, $"{sentDuring.Length} lines were sent during {collectionsWithLines} collections; the test needs pauses of three lines or more");
        Assert.True(2 * ownDuring > sentDuring.Length, $"of {sentDuring.Length} lines sent while a collection stopped the process, only {ownDuring} arrived on their own");

        // A read returns one arrival.
        async Task<int> ReadArrivalAsync()
        {
            var read = await stream.ReadAsync(buffer, cancel);
            if (read > 0)
            {
                reads.Add((Encoding.ASCII.GetString(buffer, 0, read), (stamp.LastUtcTicks - DateTime.UnixEpoch.Ticks) * 100, UtcNs()));
            }

            return read;
        }

        static long UtcNs() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;

        static (int Index, long SentNs) ParseLine(string line)
        {
            var fields = line.Split(' ');
            return (int.Parse(fields[0], CultureInfo.InvariantCulture), long.Parse(fields[1], CultureInfo.InvariantCulture));
        }
    }

    private static ReceivePump Pump(string kind)
    {
        var pump = kind == "io_uring" ? IoUringPump.Value : EpollPump.Value;
        Prerequisite.Require(pump is not null, $"the {kind} receive pump does not run here (x64 Linux; io_uring from Linux 6.0, where no sandbox filters it)");
        return pump!;
    }

    private static int[] Offsets<T>(params string[] fields) => [.. fields.Select(field => (int)Marshal.OffsetOf<T>(field))];
}

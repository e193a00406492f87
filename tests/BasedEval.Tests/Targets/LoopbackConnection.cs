using System.Net;
using System.Net.Sockets;
using BasedEval.Core.Targets;

namespace BasedEval.Tests.Targets;

/// <summary>A loopback TCP connection: the server's accepted socket, and the client's end as a timestamped stream.</summary>
internal sealed class LoopbackConnection : IDisposable
{
    private readonly TcpListener _listener;

    private LoopbackConnection(TcpListener listener, Socket accepted, Stream stream) => (_listener, Accepted, Stream) = (listener, accepted, stream);

    public Socket Accepted { get; }

    public Stream Stream { get; }

    public static Task<LoopbackConnection> OpenAsync() => OpenAsync(ReceivePump.Shared);

    /// <summary>A connection whose client end is read by <paramref name="pump"/>, or on the reader's turn where it is null.</summary>
    public static async Task<LoopbackConnection> OpenAsync(ReceivePump? pump)
    {
        Prerequisite.Require(KernelTimestampedStream.Supported, "kernel receive timestamps are read on 64-bit Linux only");
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndpoint, TestContext.Current.CancellationToken);
        var accepted = await listener.AcceptSocketAsync(TestContext.Current.CancellationToken);
        var connection = new LoopbackConnection(listener, accepted, KernelTimestampedStream.Wrap(client, pump));
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

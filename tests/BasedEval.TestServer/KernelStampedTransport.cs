using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using BasedEval.Core.Targets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace BasedEval.TestServer;

/// <summary>When the bytes of the request now being answered on a connection reached this machine.</summary>
public interface IRequestArrivalFeature
{
    /// <summary>Stopwatch timestamp of the kernel's receive time of the latest bytes read (the read time where the kernel gives none).</summary>
    long LastArrivalTimestamp { get; }
}

/// <summary>
/// Kestrel's connections, read and written so that scripted times are kept on a loaded machine. Kestrel's own socket
/// transport hands each read and each send to the thread pool; with 256 streams on two cores that queue made first
/// chunks leave up to 3 ms after their scripted time, counted from a request arrival that was itself seen late. Here a
/// request's arrival is the kernel's receive time of its bytes, and a flush sends at once on the flushing thread (the
/// deadline clock's, for timed frames).
/// </summary>
internal sealed class KernelStampedTransport : IConnectionListenerFactory
{
    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(endpoint);
            socket.Listen(1024);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            throw new AddressInUseException(e.Message, e);
        }

        return ValueTask.FromResult<IConnectionListener>(new Listener(socket));
    }

    private sealed class Listener(Socket socket) : IConnectionListener
    {
        public EndPoint EndPoint { get; } = socket.LocalEndPoint!;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            while (true)
            {
                try
                {
                    var accepted = await socket.AcceptAsync(cancellationToken);
                    accepted.NoDelay = true;
                    return StampedConnection.Start(accepted);
                }
                catch (ObjectDisposedException)
                {
                    return null;
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.OperationAborted)
                {
                    return null;
                }
                catch (SocketException)
                {
                    // A connection reset before it was accepted: wait for the next one.
                }
            }
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class StampedConnection : ConnectionContext, IConnectionIdFeature, IConnectionTransportFeature,
        IConnectionItemsFeature, IConnectionLifetimeFeature, IConnectionEndPointFeature, IRequestArrivalFeature
    {
        private static long _lastId;

        private readonly Socket _socket;
        private readonly Stream _stream;
        private readonly Pipe _input;
        private readonly Pipe _output;
        private readonly ArrivalStamp _stamp = new();
        private readonly CancellationTokenSource _closed = new();
        private readonly TaskCompletionSource _closedFired = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Task _receiving = Task.CompletedTask;
        private Task _sending = Task.CompletedTask;
        private long _lastArrival;
        private int _socketClosed;

        private StampedConnection(Socket socket)
        {
            _socket = socket;
            _stream = KernelTimestampedStream.Wrap(socket, pumped: false);
            // Kestrel parses requests on the thread pool; a flush sends on the thread that flushed.
            _input = new Pipe(new PipeOptions(readerScheduler: PipeScheduler.ThreadPool, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false));
            _output = new Pipe(new PipeOptions(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.ThreadPool, useSynchronizationContext: false));
            Transport = new DuplexPipe(_input.Reader, _output.Writer);
            ConnectionId = $"stamped-{Interlocked.Increment(ref _lastId)}";
            LocalEndPoint = socket.LocalEndPoint;
            RemoteEndPoint = socket.RemoteEndPoint;
            Features.Set<IConnectionIdFeature>(this);
            Features.Set<IConnectionTransportFeature>(this);
            Features.Set<IConnectionItemsFeature>(this);
            Features.Set<IConnectionLifetimeFeature>(this);
            Features.Set<IConnectionEndPointFeature>(this);
            Features.Set<IRequestArrivalFeature>(this);
        }

        public override string ConnectionId { get; set; }

        public override IFeatureCollection Features { get; } = new FeatureCollection();

        public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

        public override IDuplexPipe Transport { get; set; }

        public override CancellationToken ConnectionClosed
        {
            get => _closed.Token;
            set => throw new NotSupportedException();
        }

        public override EndPoint? LocalEndPoint { get; set; }

        public override EndPoint? RemoteEndPoint { get; set; }

        public long LastArrivalTimestamp => Volatile.Read(ref _lastArrival);

        public static StampedConnection Start(Socket socket)
        {
            var connection = new StampedConnection(socket);
            connection._receiving = connection.ReceiveAsync();
            connection._sending = connection.SendAsync();
            return connection;
        }

        public override void Abort(ConnectionAbortedException abortReason)
        {
            // As Kestrel's own transport does: what was not sent is dropped and the peer sees the connection end.
            _output.Reader.CancelPendingRead();
            CloseSocket();
        }

        public override async ValueTask DisposeAsync()
        {
            // Kestrel completes its own ends of the pipes; the send loop then sends what is left and closes the socket,
            // which ends a receive still waiting for the peer.
            Transport.Input.Complete();
            Transport.Output.Complete();
            await _sending.ConfigureAwait(false);
            await _receiving.ConfigureAwait(false);
            await _closedFired.Task.ConfigureAwait(false);
            _stream.Dispose();
            _closed.Dispose();
            await base.DisposeAsync().ConfigureAwait(false);
        }

        /// <summary>Ends the connection both ways, once; reads and writes that fail after it are not errors.</summary>
        private void CloseSocket()
        {
            if (Interlocked.Exchange(ref _socketClosed, 1) == 1)
            {
                return;
            }

            try
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Already reset by the peer, or already gone.
            }

            _socket.Dispose();
        }

        private async Task ReceiveAsync()
        {
            await Task.Yield();
            // The stream records each read's kernel stamp in the stamp current in this call chain.
            ArrivalStamp.Current = _stamp;
            Exception? error = null;
            try
            {
                while (true)
                {
                    var memory = _input.Writer.GetMemory(4096);
                    var read = await _stream.ReadAsync(memory);
                    if (read == 0)
                    {
                        break;
                    }

                    Volatile.Write(ref _lastArrival, StopwatchTimestampOf(_stamp.LastUtcTicks));
                    _input.Writer.Advance(read);
                    var flushed = await _input.Writer.FlushAsync();
                    if (flushed.IsCompleted || flushed.IsCanceled)
                    {
                        break;
                    }
                }
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
            {
                error = Volatile.Read(ref _socketClosed) == 1 ? null : new ConnectionResetException(e.Message, e);
            }
            finally
            {
                await _input.Writer.CompleteAsync(error);
                // Kestrel aborts the request being answered when its connection closes.
                ThreadPool.UnsafeQueueUserWorkItem(
                    static connection =>
                    {
                        connection._closed.Cancel();
                        connection._closedFired.SetResult();
                    },
                    this,
                    preferLocal: false);
            }
        }

        private async Task SendAsync()
        {
            Exception? error = null;
            try
            {
                while (true)
                {
                    var result = await _output.Reader.ReadAsync();
                    if (result.IsCanceled)
                    {
                        break;
                    }

                    foreach (var segment in result.Buffer)
                    {
                        await _stream.WriteAsync(segment);
                    }

                    _output.Reader.AdvanceTo(result.Buffer.End);
                    if (result.IsCompleted)
                    {
                        break;
                    }
                }
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
            {
                error = Volatile.Read(ref _socketClosed) == 1 ? null : e;
            }
            finally
            {
                await _output.Reader.CompleteAsync(error);
                // Nothing more will be sent: as Kestrel's own transport does, the connection ends both ways.
                CloseSocket();
            }
        }

        /// <summary>The kernel's UTC stamp moved onto the Stopwatch clock; now where the kernel gave none.</summary>
        private static long StopwatchTimestampOf(long utcTicks)
        {
            var now = Stopwatch.GetTimestamp();
            if (utcTicks == 0)
            {
                return now;
            }

            var agoTicks = DateTime.UtcNow.Ticks - utcTicks;
            return agoTicks < 0 ? now : now - (long)(agoTicks * (double)Stopwatch.Frequency / TimeSpan.TicksPerSecond);
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}

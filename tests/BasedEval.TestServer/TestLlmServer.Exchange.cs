using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace BasedEval.TestServer;

public sealed partial class TestLlmServer
{
    /// <summary>One scripted answer: what to send and when, with its fault if one was drawn.</summary>
    private sealed class Exchange(
        TestLlmServer server, HttpContext context, Api api, CompiledModel model, ParsedRequest request,
        string? key, FaultRule? fault, long arrival, RecordedRequest record, double queuedMs)
    {
        private readonly CancellationToken _aborted = context.RequestAborted;

        public async Task RunAsync()
        {
            switch (fault?.Kind)
            {
                case FaultKind.ResetBeforeHeaders:
                    context.Abort();
                    return;
                case FaultKind.RateLimit:
                    await RateLimitAsync(fault);
                    return;
                case FaultKind.ServerError:
                    await ServerErrorAsync(fault);
                    return;
            }

            if (request.Stream && key is not null && model.Script.ToolCallReplies.TryGetValue(key, out var toolCalls))
            {
                await StreamToolCallsAsync(toolCalls);
                return;
            }

            var reply = model.ReplyFor(key);
            var split = model.Split(reply);
            var chunks = split.Chunks;
            var usage = model.Script.IncludeUsage
                ? new Frames.Usage(
                    model.Script.PromptTokens ?? ReplyTokens.CountWords(request.Contents),
                    model.Script.CachedPromptTokens,
                    split.TokenCount)
                : null;
            var id = api == Api.OpenAi
                ? $"chatcmpl-testserver-{Interlocked.Increment(ref server._nextId)}"
                : $"msg_testserver_{Interlocked.Increment(ref server._nextId)}";

            if (request.Stream)
            {
                await StreamAsync(id, chunks, usage);
            }
            else
            {
                await RespondWholeAsync(id, reply, chunks.Count, usage);
            }
        }

        private long ContentDeadline(int index, int chunkCount)
        {
            var ms = model.Script.TtftMs + queuedMs + (index * model.Script.InterChunkDelayMs);
            if (fault?.Kind == FaultKind.SlowDrip)
            {
                ms += (index + 1) * fault.StallMs;
            }
            else if (fault?.Kind == FaultKind.StallMidStream && index >= FaultAt(chunkCount))
            {
                ms += fault.StallMs;
            }

            return DeadlineClock.After(arrival, ms);
        }

        private static int FaultAt(int chunkCount) => chunkCount / 2;

        private async Task StreamAsync(string id, IReadOnlyList<string> chunks, Frames.Usage? usage)
        {
            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "text/event-stream; charset=utf-8";
            response.Headers.CacheControl = "no-cache";
            record.StatusCode = StatusCodes.Status200OK;

            var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var openAiUsage = usage is not null && request.StreamUsage;
            if (fault?.Kind == FaultKind.EmptyChoices)
            {
                var empty = Frames.OpenAiUsageChunk(id, created, model.Name, usage ?? new Frames.Usage(0, 0, 0));
                await WriteAsync(api == Api.OpenAi ? empty : Frames.AnthropicPing);
                byte[][] rest = api == Api.OpenAi ? [empty, Frames.OpenAiDone] : [Frames.AnthropicMessageStop];
                await server._clock.WriteWhenDueAsync(new ScheduledFrames(
                    context.Response.BodyWriter, rest, [.. Enumerable.Repeat(ContentDeadline(0, chunks.Count), rest.Length)], null, null, _aborted));
                return;
            }

            byte[][] content;
            byte[][] tail;
            if (api == Api.OpenAi)
            {
                await WriteAsync(Frames.OpenAiRole(id, created, model.Name, openAiUsage));
                content = chunks.Select(c => Frames.OpenAiContent(id, created, model.Name, openAiUsage, c)).ToArray();
                tail = openAiUsage
                    ? [Frames.OpenAiFinish(id, created, model.Name, true), Frames.OpenAiUsageChunk(id, created, model.Name, usage!), Frames.OpenAiDone]
                    : [Frames.OpenAiFinish(id, created, model.Name, false), Frames.OpenAiDone];
            }
            else
            {
                await WriteAsync(Frames.AnthropicMessageStart(id, model.Name, usage));
                await WriteAsync(Frames.AnthropicBlockStart);
                await WriteAsync(Frames.AnthropicPing);
                content = chunks.Select(Frames.AnthropicDelta).ToArray();
                tail = [Frames.AnthropicBlockStop, Frames.AnthropicMessageDelta(usage), Frames.AnthropicMessageStop];
            }

            var cuts = fault?.Kind is FaultKind.ResetMidStream or FaultKind.TruncatedStream or FaultKind.InvalidJsonChunk;
            var cutAfter = cuts ? FaultAt(content.Length) : content.Length;
            var frames = content[..cutAfter].ToList();
            var deadlines = Enumerable.Range(0, cutAfter).Select(i => ContentDeadline(i, content.Length)).ToList();
            if (!cuts)
            {
                // The end of the answer leaves with its last token, as a real server's does.
                var end = cutAfter > 0 ? deadlines[^1] : ContentDeadline(0, 0);
                frames.AddRange(tail);
                deadlines.AddRange(Enumerable.Repeat(end, tail.Length));
            }

            await server._clock.WriteWhenDueAsync(new ScheduledFrames(
                context.Response.BodyWriter, frames, [.. deadlines], cutAfter > 0 ? FirstContentWritten : null, cuts ? null : CompleteAnswer, _aborted));
            switch (fault?.Kind)
            {
                case FaultKind.ResetMidStream:
                    await AbortWhenReadAsync(ContentDeadline(cutAfter, content.Length));
                    return;
                case FaultKind.TruncatedStream:
                    return;
                case FaultKind.InvalidJsonChunk:
                    await WriteAsync(api == Api.OpenAi ? Frames.OpenAiInvalidJson : Frames.AnthropicInvalidJson);
                    return;
            }
        }

        private async Task StreamToolCallsAsync(List<ScriptedToolCall> calls)
        {
            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "text/event-stream; charset=utf-8";
            record.StatusCode = StatusCodes.Status200OK;
            var number = Interlocked.Increment(ref server._nextId);
            var tokens = calls.Sum(c => ReplyTokens.Split(c.Name + " " + c.Arguments).Count);
            var usage = new Frames.Usage(model.Script.PromptTokens ?? ReplyTokens.CountWords(request.Contents), model.Script.CachedPromptTokens, tokens);
            var frames = new List<byte[]>();
            if (api == Api.OpenAi)
            {
                var id = $"chatcmpl-testserver-{number}";
                var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
                await WriteAsync(Frames.OpenAiRole(id, created, model.Name, request.StreamUsage));
                for (var i = 0; i < calls.Count; i++)
                {
                    var half = calls[i].Arguments.Length / 2;
                    frames.Add(Frames.OpenAiToolCall(id, created, model.Name, request.StreamUsage, i, $"call_{number}_{i}", calls[i].Name, calls[i].Arguments[..half]));
                    frames.Add(Frames.OpenAiToolCall(id, created, model.Name, request.StreamUsage, i, null, null, calls[i].Arguments[half..]));
                }

                frames.Add(Frames.OpenAiFinish(id, created, model.Name, request.StreamUsage, "tool_calls"));
                if (request.StreamUsage)
                {
                    frames.Add(Frames.OpenAiUsageChunk(id, created, model.Name, usage));
                }

                frames.Add(Frames.OpenAiDone);
            }
            else
            {
                await WriteAsync(Frames.AnthropicMessageStart($"msg_testserver_{number}", model.Name, usage));
                for (var i = 0; i < calls.Count; i++)
                {
                    var half = calls[i].Arguments.Length / 2;
                    frames.Add(Frames.AnthropicToolUseStart(i, $"toolu_{number}_{i}", calls[i].Name));
                    frames.Add(Frames.AnthropicInputJsonDelta(i, calls[i].Arguments[..half]));
                    frames.Add(Frames.AnthropicInputJsonDelta(i, calls[i].Arguments[half..]));
                    frames.Add(Frames.AnthropicBlockStopAt(i));
                }

                frames.Add(Frames.AnthropicMessageDelta(usage, "tool_use"));
                frames.Add(Frames.AnthropicMessageStop);
            }

            var deadlines = Enumerable.Repeat(ContentDeadline(0, frames.Count), frames.Count).ToArray();
            await server._clock.WriteWhenDueAsync(new ScheduledFrames(context.Response.BodyWriter, frames, deadlines, FirstContentWritten, CompleteAnswer, _aborted));
        }

        private async Task RespondWholeAsync(string id, string reply, int chunkCount, Frames.Usage? usage)
        {
            var body = api == Api.OpenAi
                ? Frames.OpenAiCompletion(id, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), model.Name, reply, usage)
                : Frames.AnthropicMessage(id, model.Name, reply, usage);
            await server._clock.WaitUntilAsync(ContentDeadline(Math.Max(0, chunkCount - 1), chunkCount), _aborted);

            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json";
            record.StatusCode = StatusCodes.Status200OK;
            switch (fault?.Kind)
            {
                case FaultKind.ResetMidStream:
                    await WriteAsync(body.AsMemory(0, body.Length / 2));
                    await AbortWhenReadAsync(Stopwatch.GetTimestamp());
                    return;
                case FaultKind.TruncatedStream:
                    await WriteAsync(body.AsMemory(0, body.Length / 2));
                    return;
                case FaultKind.InvalidJsonChunk:
                    await WriteAsync("{not json"u8.ToArray());
                    return;
            }

            await WriteAsync(body);
            record.Completed = true;
        }

        /// <summary>
        /// The reset reaches the client as an RST, which makes its kernel drop any bytes the client has
        /// not read yet; waiting a little lets the client see the partial stream before it breaks.
        /// </summary>
        // Runs on the deadline clock's thread right after the last frame: marked before the client can see the end.
        private Task CompleteAnswer()
        {
            record.Completed = true;
            return context.Response.CompleteAsync();
        }

        // Runs on the deadline clock's thread as the first content frame is written.
        private void FirstContentWritten(long deadline, long writtenAt)
        {
            record.FirstContentTimestamp = writtenAt;
            server._lateness.Add(writtenAt - deadline);
        }

        private async Task AbortWhenReadAsync(long dueAt)
        {
            await server._clock.WaitUntilAsync(Math.Max(dueAt, DeadlineClock.After(Stopwatch.GetTimestamp(), ResetGraceMs)), _aborted);
            context.Abort();
        }

        private async Task RateLimitAsync(FaultRule rule)
        {
            var response = context.Response;
            if (rule.RetryAfterSeconds is { } seconds)
            {
                response.Headers.RetryAfter = ((long)Math.Ceiling(seconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                response.Headers["retry-after-ms"] = ((long)Math.Ceiling(seconds * 1000)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            await WriteErrorAsync(context, record, StatusCodes.Status429TooManyRequests, ErrorBody(
                api, "requests", "rate_limit_exceeded", "rate_limit_error",
                "Rate limit reached for requests (scripted by the test server)."));
        }

        private Task ServerErrorAsync(FaultRule rule) =>
            WriteErrorAsync(context, record, rule.StatusCode, ErrorBody(
                api, "server_error", null, rule.StatusCode == 529 ? "overloaded_error" : "api_error",
                $"The server had an error while processing your request (scripted status {rule.StatusCode})."));

        private async Task WriteAsync(ReadOnlyMemory<byte> frame)
        {
            // PipeWriter.WriteAsync flushes, so each event leaves the server as soon as it is due.
            var result = await context.Response.BodyWriter.WriteAsync(frame, _aborted);
            if (result.IsCanceled || result.IsCompleted)
            {
                throw new OperationCanceledException(_aborted);
            }
        }
    }
}

using System.Text.Json;
using BasedEval.Core.Scoring;
using BasedEval.Core.Targets;
using Microsoft.Data.Sqlite;

namespace BasedEval.Core.Storage;

/// <summary>Samples: written a batch per transaction, read back by run or by the response cache's key.</summary>
public sealed partial class SqliteResultStore
{
    public async Task SaveSamplesAsync(IReadOnlyList<Sample> samples, CancellationToken cancellationToken)
    {
        if (samples.Count == 0)
        {
            return;
        }

        await _lock.WaitAsync(cancellationToken);
        try
        {
            using var transaction = _connection.BeginTransaction();
            using var insertSample = _connection.CreateCommand();
            insertSample.Transaction = transaction;
            insertSample.CommandText = """
                INSERT OR REPLACE INTO samples (run_id, suite, item_id, epoch, target_key, request_hash, request_json, response_text, finish_reason,
                    input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, usage_estimated, request_start_utc, ttft_ms, e2e_ms, chunks,
                    error_kind, error, attempts, from_cache, cost_usd, completed_utc, reference, slices, tool_calls, usage_tokenizer)
                VALUES ($run, $suite, $item, $epoch, (SELECT target_key FROM runs WHERE id = $run), $hash, $request, $response, $finish,
                    $in, $cached, $out, $reasoning, $estimated, $start, $ttft, $e2e, $chunks,
                    $error_kind, $error, $attempts, $from_cache, $cost, $completed, $reference, $slices, $tool_calls, $tokenizer);
                """;
            string[] sampleParameters =
            [
                "$run", "$suite", "$item", "$epoch", "$hash", "$request", "$response", "$finish", "$in", "$cached", "$out", "$reasoning",
                "$estimated", "$start", "$ttft", "$e2e", "$chunks", "$error_kind", "$error", "$attempts", "$from_cache", "$cost", "$completed",
                "$reference", "$slices", "$tool_calls", "$tokenizer",
            ];
            foreach (var name in sampleParameters)
            {
                insertSample.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            using var deleteScore = _connection.CreateCommand();
            deleteScore.Transaction = transaction;
            deleteScore.CommandText = "DELETE FROM scores WHERE run_id = $run AND suite = $suite AND item_id = $item AND epoch = $epoch;";
            using var insertScore = _connection.CreateCommand();
            insertScore.Transaction = transaction;
            insertScore.CommandText = """
                INSERT INTO scores (run_id, suite, item_id, epoch, value, extracted, explanation, checks)
                VALUES ($run, $suite, $item, $epoch, $value, $extracted, $explanation, $checks);
                """;
            foreach (var name in new[] { "$run", "$suite", "$item", "$epoch" })
            {
                deleteScore.Parameters.Add(new SqliteParameter { ParameterName = name });
                insertScore.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            foreach (var name in new[] { "$value", "$extracted", "$explanation", "$checks" })
            {
                insertScore.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            foreach (var s in samples)
            {
                var p = insertSample.Parameters;
                p["$run"].Value = s.RunId;
                p["$suite"].Value = s.Suite;
                p["$item"].Value = s.ItemId;
                p["$epoch"].Value = s.Epoch;
                p["$hash"].Value = s.RequestHash;
                p["$request"].Value = s.RequestJson;
                p["$response"].Value = (object?)s.ResponseText ?? DBNull.Value;
                p["$finish"].Value = (object?)s.FinishReason ?? DBNull.Value;
                p["$in"].Value = s.Usage.InputTokens;
                p["$cached"].Value = s.Usage.CachedInputTokens;
                p["$out"].Value = s.Usage.OutputTokens;
                p["$reasoning"].Value = s.Usage.ReasoningTokens;
                p["$estimated"].Value = s.Usage.Estimated ? 1 : 0;
                p["$start"].Value = s.Timings is { } t ? Iso(t.RequestStartUtc) : DBNull.Value;
                p["$ttft"].Value = (object?)s.Timings?.TtftMs ?? DBNull.Value;
                p["$e2e"].Value = (object?)s.Timings?.E2eMs ?? DBNull.Value;
                p["$chunks"].Value = s.Timings is { } timings ? ChunkCodec.Encode(timings.OutputChunks) : DBNull.Value;
                p["$error_kind"].Value = (object?)s.ErrorKind ?? DBNull.Value;
                p["$error"].Value = (object?)s.Error ?? DBNull.Value;
                p["$attempts"].Value = s.Attempts;
                p["$from_cache"].Value = s.FromCache ? 1 : 0;
                p["$cost"].Value = s.CostUsd;
                p["$completed"].Value = Iso(s.CompletedUtc);
                p["$reference"].Value = (object?)s.Reference ?? DBNull.Value;
                p["$slices"].Value = JsonSerializer.Serialize(s.Slices);
                p["$tool_calls"].Value = s.ToolCalls.Count == 0 ? DBNull.Value : JsonSerializer.Serialize(s.ToolCalls);
                p["$tokenizer"].Value = (object?)s.Usage.CountedBy ?? DBNull.Value;
                await insertSample.ExecuteNonQueryAsync(cancellationToken);

                foreach (var command in new[] { deleteScore, insertScore })
                {
                    command.Parameters["$run"].Value = s.RunId;
                    command.Parameters["$suite"].Value = s.Suite;
                    command.Parameters["$item"].Value = s.ItemId;
                    command.Parameters["$epoch"].Value = s.Epoch;
                }

                await deleteScore.ExecuteNonQueryAsync(cancellationToken);
                if (s.Score is { } score)
                {
                    insertScore.Parameters["$value"].Value = score.Value;
                    insertScore.Parameters["$extracted"].Value = (object?)score.Extracted ?? DBNull.Value;
                    insertScore.Parameters["$explanation"].Value = score.Explanation;
                    insertScore.Parameters["$checks"].Value = score.Checks.Count == 0 ? DBNull.Value : JsonSerializer.Serialize(score.Checks);
                    await insertScore.ExecuteNonQueryAsync(cancellationToken);
                }
            }

            // Committing must not be abandoned half-way by a Ctrl+C: what finished is kept.
            await transaction.CommitAsync(CancellationToken.None);
        }
        finally
        {
            _lock.Release();
        }
    }

    public Task<IReadOnlyList<Sample>> GetSamplesAsync(string runId, CancellationToken cancellationToken) =>
        QuerySamplesAsync("s.run_id = $run ORDER BY s.suite, s.item_id, s.epoch", cmd => cmd.Parameters.AddWithValue("$run", runId), cancellationToken);

    public async Task<IReadOnlyDictionary<string, Sample>> FindSucceededAsync(string targetKey, IReadOnlyCollection<string> requestHashes, CancellationToken cancellationToken)
    {
        var wanted = requestHashes as IReadOnlySet<string> ?? requestHashes.ToHashSet(StringComparer.Ordinal);
        var found = new Dictionary<string, Sample>(StringComparer.Ordinal);
        if (wanted.Count == 0)
        {
            return found;
        }

        var samples = await QuerySamplesAsync(
            "s.target_key = $key AND s.error_kind IS NULL ORDER BY s.completed_utc",
            cmd => cmd.Parameters.AddWithValue("$key", targetKey),
            cancellationToken);
        foreach (var sample in samples)
        {
            if (wanted.Contains(sample.RequestHash))
            {
                found[sample.RequestHash] = sample;
            }
        }

        return found;
    }

    private async Task<IReadOnlyList<Sample>> QuerySamplesAsync(string where, Action<SqliteCommand> bind, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = $"""
                SELECT s.run_id, s.suite, s.item_id, s.epoch, s.request_hash, s.request_json, s.response_text, s.finish_reason,
                       s.input_tokens, s.cached_input_tokens, s.output_tokens, s.reasoning_tokens, s.usage_estimated,
                       s.request_start_utc, s.ttft_ms, s.e2e_ms, s.chunks, s.error_kind, s.error, s.attempts, s.from_cache,
                       s.cost_usd, s.completed_utc, s.reference, s.slices, c.value, c.extracted, c.explanation, s.tool_calls, c.checks, s.usage_tokenizer
                FROM samples s LEFT JOIN scores c
                  ON c.run_id = s.run_id AND c.suite = s.suite AND c.item_id = s.item_id AND c.epoch = s.epoch
                WHERE {where};
                """;
            bind(command);
            var samples = new List<Sample>();
            using var r = await command.ExecuteReaderAsync(cancellationToken);
            while (await r.ReadAsync(cancellationToken))
            {
                SampleTimings? timings = r.IsDBNull(13)
                    ? null
                    : new SampleTimings(ParseIso(r.GetString(13)), r.IsDBNull(14) ? null : r.GetDouble(14), r.IsDBNull(15) ? 0 : r.GetDouble(15), r.IsDBNull(16) ? [] : ChunkCodec.Decode(r.GetString(16)));
                samples.Add(new Sample(
                    r.GetString(0),
                    r.GetString(1),
                    r.GetString(2),
                    r.GetInt32(3),
                    r.GetString(4),
                    r.GetString(5),
                    r.IsDBNull(6) ? null : r.GetString(6),
                    r.IsDBNull(7) ? null : r.GetString(7),
                    new TokenUsage(r.GetInt32(8), r.GetInt32(9), r.GetInt32(10), r.GetInt32(11), r.GetInt32(12) != 0) { CountedBy = r.IsDBNull(30) ? null : r.GetString(30) },
                    timings,
                    r.IsDBNull(17) ? null : r.GetString(17),
                    r.IsDBNull(18) ? null : r.GetString(18),
                    r.GetInt32(19),
                    r.GetInt32(20) != 0,
                    r.GetDouble(21),
                    ParseIso(r.GetString(22)),
                    r.IsDBNull(25) ? null : new Score(r.GetDouble(25), r.IsDBNull(26) ? null : r.GetString(26), r.GetString(27))
                    {
                        Checks = r.IsDBNull(29) ? new Dictionary<string, bool>() : JsonSerializer.Deserialize<Dictionary<string, bool>>(r.GetString(29)) ?? [],
                    },
                    r.IsDBNull(23) ? null : r.GetString(23),
                    JsonSerializer.Deserialize<string[]>(r.GetString(24)) ?? [])
                {
                    ToolCalls = r.IsDBNull(28) ? [] : JsonSerializer.Deserialize<ToolCall[]>(r.GetString(28)) ?? [],
                });
            }

            return samples;
        }
        finally
        {
            _lock.Release();
        }
    }
}

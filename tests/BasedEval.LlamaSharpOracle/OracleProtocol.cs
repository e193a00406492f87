namespace BasedEval.LlamaSharpOracle;

/// <summary>
/// One line of the oracle's standard input. Either <see cref="Prompt"/> (greedy generation of <see cref="Generate"/> tokens
/// from a text) or <see cref="Context"/> with <see cref="Continuations"/> (per-token log-probabilities of token sequences).
/// </summary>
public sealed record OracleRequest(string? Prompt = null, int Generate = 0, int[]? Context = null, int[][]? Continuations = null);

/// <summary>
/// One line of the oracle's standard output. Greedy: the prompt's tokens as LLamaSharp tokenized them, the generated tokens
/// and each one's natural-log probability. Scoring: per continuation, each token's natural-log probability.
/// </summary>
public sealed record OracleResponse(int[]? PromptTokens = null, int[]? Tokens = null, double[]? LogProbabilities = null, double[][]? ContinuationLogProbabilities = null, string? Error = null);

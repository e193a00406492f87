using System.Text;
using System.Text.RegularExpressions;
using BasedEval.LlamaCpp.Interop;

namespace BasedEval.LlamaCpp.Engine;

/// <summary>
/// Picks each next token: greedy, or llama-server's order for the knobs an OpenAI request has (top-p, then temperature,
/// then the seeded draw), and, when the request has a grammar, only among tokens the grammar allows. Checking the grammar
/// against the whole vocabulary costs more than a small model's forward pass, so, as llama-server does, the token is picked
/// freely first and the grammar consulted for that one token; only when it refuses are all candidates filtered and the
/// pick made again. Both ways yield the token the filtered distribution would give.
/// </summary>
internal sealed unsafe class TokenSampler : IDisposable
{
    private readonly SafeLlamaSamplerHandle _chain;
    private readonly SafeLlamaSamplerHandle? _grammar;
    private LlamaTokenData[]? _candidates;

    private TokenSampler(SafeLlamaSamplerHandle chain, SafeLlamaSamplerHandle? grammar)
    {
        _chain = chain;
        _grammar = grammar;
    }

    /// <exception cref="LlamaGrammarException">llama.cpp could not parse the grammar.</exception>
    public static TokenSampler Create(LlamaModel model, LlamaSampling sampling)
    {
        SafeLlamaSamplerHandle? grammar = null;
        if (sampling.Grammar is { } rules)
        {
            grammar = CreateGrammar(model, rules);
            if (grammar.IsInvalid)
            {
                grammar.Dispose();
                throw new LlamaGrammarException("llama.cpp could not parse the grammar generated for this request (its log says where)");
            }
        }

        var chain = NativeMethods.llama_sampler_chain_init(NativeMethods.llama_sampler_chain_default_params());
        if (sampling.IsGreedy)
        {
            NativeMethods.llama_sampler_chain_add(chain, NativeMethods.llama_sampler_init_greedy());
        }
        else
        {
            if (sampling.TopP is { } topP and < 1)
            {
                NativeMethods.llama_sampler_chain_add(chain, NativeMethods.llama_sampler_init_top_p(topP, 1));
            }

            NativeMethods.llama_sampler_chain_add(chain, NativeMethods.llama_sampler_init_temp(sampling.Temperature));
            NativeMethods.llama_sampler_chain_add(chain, NativeMethods.llama_sampler_init_dist(sampling.Seed ?? NativeMethods.DefaultSeed));
        }

        return new TokenSampler(chain, grammar);
    }

    public int Sample(SafeLlamaContextHandle context, int batchIndex, int vocabularySize)
    {
        // The chain's samplers keep no state between tokens, so its having seen a token the grammar then refuses is harmless.
        var token = NativeMethods.llama_sampler_sample(_chain, context, batchIndex);
        if (_grammar is null)
        {
            return token;
        }

        if (!GrammarAllows(_grammar, token))
        {
            token = SampleAllowed(_grammar, context, batchIndex, vocabularySize);
        }

        NativeMethods.llama_sampler_accept(_grammar, token);
        return token;
    }

    public void Dispose()
    {
        _chain.Dispose();
        _grammar?.Dispose();
    }

    private static bool GrammarAllows(SafeLlamaSamplerHandle grammar, int token)
    {
        var single = new LlamaTokenData { Id = token, Logit = 0 };
        var candidates = new LlamaTokenDataArray { Data = (IntPtr)(&single), Size = 1, Selected = -1 };
        NativeMethods.llama_sampler_apply(grammar, &candidates);
        return !float.IsNegativeInfinity(single.Logit);
    }

    private int SampleAllowed(SafeLlamaSamplerHandle grammar, SafeLlamaContextHandle context, int batchIndex, int vocabularySize)
    {
        var logits = NativeMethods.llama_get_logits_ith(context, batchIndex);
        if (logits == null)
        {
            throw new LlamaException($"llama.cpp has no logits for batch index {batchIndex}");
        }

        var candidates = _candidates ??= new LlamaTokenData[vocabularySize];
        for (var i = 0; i < candidates.Length; i++)
        {
            candidates[i] = new LlamaTokenData { Id = i, Logit = logits[i] };
        }

        fixed (LlamaTokenData* data = candidates)
        {
            var array = new LlamaTokenDataArray { Data = (IntPtr)data, Size = (nuint)candidates.Length, Selected = -1 };
            NativeMethods.llama_sampler_apply(grammar, &array);
            NativeMethods.llama_sampler_apply(_chain, &array);
            if (array.Selected < 0 || array.Selected >= (long)array.Size)
            {
                throw new LlamaException("llama.cpp's sampler chain chose no token");
            }

            return ((LlamaTokenData*)array.Data)[array.Selected].Id;
        }
    }

    private static SafeLlamaSamplerHandle CreateGrammar(LlamaModel model, LlamaGrammar grammar)
    {
        var vocab = NativeMethods.llama_model_get_vocab(model.Handle);
        if (grammar.Trigger is null)
        {
            return NativeMethods.llama_sampler_init_grammar(vocab, grammar.Text, "root");
        }

        // A regular expression (std::regex, ECMAScript) searched anywhere in the output so far: the trigger text, escaped.
        var pattern = Encoding.UTF8.GetBytes(Regex.Escape(grammar.Trigger) + "\0");
        fixed (byte* patternText = pattern)
        {
            var patterns = stackalloc byte*[1];
            patterns[0] = patternText;
            return NativeMethods.llama_sampler_init_grammar_lazy_patterns(vocab, grammar.Text, "root", patterns, 1, null, 0);
        }
    }
}

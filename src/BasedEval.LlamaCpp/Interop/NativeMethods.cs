using System.Runtime.InteropServices;

namespace BasedEval.LlamaCpp.Interop;

/// <summary>
/// The C API of llama.cpp v0.5.0 and the few ggml calls needed to load its backends. Library names are logical;
/// <see cref="LlamaBackend"/> resolves them to the versioned files of the natives folder.
/// </summary>
internal static unsafe partial class NativeMethods
{
    public const string Llama = "llama";
    public const string Ggml = "ggml";
    public const string GgmlBase = "ggml-base";

    public const uint DefaultSeed = 0xFFFFFFFF;

    // ggml backend registry

    [LibraryImport(Ggml, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void ggml_backend_load_all_from_path(string directory);

    [LibraryImport(Ggml)]
    public static partial nuint ggml_backend_dev_count();

    [LibraryImport(Ggml)]
    public static partial IntPtr ggml_backend_dev_get(nuint index);

    [LibraryImport(GgmlBase)]
    public static partial byte* ggml_backend_dev_name(IntPtr device);

    [LibraryImport(GgmlBase)]
    public static partial byte* ggml_backend_dev_description(IntPtr device);

    [LibraryImport(GgmlBase)]
    public static partial int ggml_backend_dev_type(IntPtr device);

    // process

    [LibraryImport(Llama)]
    public static partial void llama_backend_init();

    [LibraryImport(Llama)]
    public static partial void llama_log_set(delegate* unmanaged[Cdecl]<int, byte*, void*, void> callback, void* userData);

    // models

    [LibraryImport(Llama)]
    public static partial LlamaModelParams llama_model_default_params();

    [LibraryImport(Llama, StringMarshalling = StringMarshalling.Utf8)]
    public static partial SafeLlamaModelHandle llama_model_load_from_file(string path, LlamaModelParams parameters);

    [LibraryImport(Llama)]
    public static partial void llama_model_free(IntPtr model);

    [LibraryImport(Llama)]
    public static partial IntPtr llama_model_get_vocab(SafeLlamaModelHandle model);

    [LibraryImport(Llama)]
    public static partial int llama_model_n_ctx_train(SafeLlamaModelHandle model);

    [LibraryImport(Llama)]
    public static partial int llama_model_n_embd(SafeLlamaModelHandle model);

    [LibraryImport(Llama)]
    public static partial int llama_model_n_layer(SafeLlamaModelHandle model);

    [LibraryImport(Llama)]
    public static partial ulong llama_model_size(SafeLlamaModelHandle model);

    [LibraryImport(Llama)]
    public static partial ulong llama_model_n_params(SafeLlamaModelHandle model);

    [LibraryImport(Llama)]
    public static partial int llama_model_desc(SafeLlamaModelHandle model, byte* buffer, nuint bufferSize);

    [LibraryImport(Llama)]
    public static partial int llama_model_meta_count(SafeLlamaModelHandle model);

    [LibraryImport(Llama)]
    public static partial int llama_model_meta_key_by_index(SafeLlamaModelHandle model, int index, byte* buffer, nuint bufferSize);

    [LibraryImport(Llama)]
    public static partial int llama_model_meta_val_str_by_index(SafeLlamaModelHandle model, int index, byte* buffer, nuint bufferSize);

    [LibraryImport(Llama)]
    public static partial byte* llama_model_chat_template(SafeLlamaModelHandle model, byte* name);

    [LibraryImport(Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_model_has_decoder(SafeLlamaModelHandle model);

    [LibraryImport(Llama)]
    public static partial LlamaModelQuantizeParams llama_model_quantize_default_params();

    [LibraryImport(Llama, StringMarshalling = StringMarshalling.Utf8)]
    public static partial uint llama_model_quantize(string input, string output, in LlamaModelQuantizeParams parameters);

    // vocabulary (the vocab pointer belongs to its model and lives as long as it)

    [LibraryImport(Llama)]
    public static partial int llama_vocab_n_tokens(IntPtr vocab);

    [LibraryImport(Llama)]
    public static partial int llama_vocab_bos(IntPtr vocab);

    [LibraryImport(Llama)]
    public static partial int llama_vocab_eos(IntPtr vocab);

    [LibraryImport(Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_vocab_get_add_bos(IntPtr vocab);

    [LibraryImport(Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_vocab_is_eog(IntPtr vocab, int token);

    [LibraryImport(Llama)]
    public static partial int llama_tokenize(
        IntPtr vocab, byte* text, int textLength, int* tokens, int maxTokens,
        [MarshalAs(UnmanagedType.U1)] bool addSpecial, [MarshalAs(UnmanagedType.U1)] bool parseSpecial);

    [LibraryImport(Llama)]
    public static partial int llama_token_to_piece(IntPtr vocab, int token, byte* buffer, int length, int lstrip, [MarshalAs(UnmanagedType.U1)] bool special);

    [LibraryImport(Llama)]
    public static partial int llama_detokenize(
        IntPtr vocab, int* tokens, int tokenCount, byte* text, int maxLength,
        [MarshalAs(UnmanagedType.U1)] bool removeSpecial, [MarshalAs(UnmanagedType.U1)] bool unparseSpecial);

    // chat templates

    [LibraryImport(Llama)]
    public static partial int llama_chat_apply_template(
        byte* template, LlamaChatMessage* messages, nuint messageCount, [MarshalAs(UnmanagedType.U1)] bool addAssistant, byte* buffer, int length);

    [LibraryImport(Llama)]
    public static partial int llama_chat_builtin_templates(byte** output, nuint length);

    // contexts

    [LibraryImport(Llama)]
    public static partial LlamaContextParams llama_context_default_params();

    [LibraryImport(Llama)]
    public static partial SafeLlamaContextHandle llama_init_from_model(SafeLlamaModelHandle model, LlamaContextParams parameters);

    [LibraryImport(Llama)]
    public static partial void llama_free(IntPtr context);

    [LibraryImport(Llama)]
    public static partial uint llama_n_ctx_seq(SafeLlamaContextHandle context);

    [LibraryImport(Llama)]
    public static partial uint llama_n_batch(SafeLlamaContextHandle context);

    [LibraryImport(Llama)]
    public static partial IntPtr llama_get_memory(SafeLlamaContextHandle context);

    [LibraryImport(Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_memory_seq_rm(IntPtr memory, int sequence, int fromPosition, int toPosition);

    // batches and decoding

    [LibraryImport(Llama)]
    public static partial LlamaBatch llama_batch_init(int capacity, int embeddings, int maxSequencesPerToken);

    [LibraryImport(Llama)]
    public static partial void llama_batch_free(LlamaBatch batch);

    [LibraryImport(Llama)]
    public static partial int llama_decode(SafeLlamaContextHandle context, LlamaBatch batch);

    [LibraryImport(Llama)]
    public static partial float* llama_get_logits_ith(SafeLlamaContextHandle context, int index);

    // samplers

    [LibraryImport(Llama)]
    public static partial LlamaSamplerChainParams llama_sampler_chain_default_params();

    [LibraryImport(Llama)]
    public static partial SafeLlamaSamplerHandle llama_sampler_chain_init(LlamaSamplerChainParams parameters);

    /// <remarks>The chain takes ownership of <paramref name="sampler"/>.</remarks>
    [LibraryImport(Llama)]
    public static partial void llama_sampler_chain_add(SafeLlamaSamplerHandle chain, IntPtr sampler);

    [LibraryImport(Llama)]
    public static partial IntPtr llama_sampler_init_greedy();

    [LibraryImport(Llama)]
    public static partial IntPtr llama_sampler_init_temp(float temperature);

    [LibraryImport(Llama)]
    public static partial IntPtr llama_sampler_init_top_p(float p, nuint minKeep);

    [LibraryImport(Llama)]
    public static partial IntPtr llama_sampler_init_dist(uint seed);

    /// <returns>Null when the grammar does not parse (llama.cpp logs why).</returns>
    [LibraryImport(Llama, StringMarshalling = StringMarshalling.Utf8)]
    public static partial SafeLlamaSamplerHandle llama_sampler_init_grammar(IntPtr vocab, string grammar, string root);

    /// <summary>A grammar that constrains only from the first match of a trigger pattern (searched anywhere in the output) on.</summary>
    /// <returns>Null when the grammar does not parse.</returns>
    [LibraryImport(Llama, StringMarshalling = StringMarshalling.Utf8)]
    public static partial SafeLlamaSamplerHandle llama_sampler_init_grammar_lazy_patterns(
        IntPtr vocab, string grammar, string root, byte** triggerPatterns, nuint patternCount, int* triggerTokens, nuint tokenCount);

    [LibraryImport(Llama)]
    public static partial void llama_sampler_apply(SafeLlamaSamplerHandle sampler, LlamaTokenDataArray* candidates);

    [LibraryImport(Llama)]
    public static partial void llama_sampler_accept(SafeLlamaSamplerHandle sampler, int token);

    [LibraryImport(Llama)]
    public static partial int llama_sampler_sample(SafeLlamaSamplerHandle sampler, SafeLlamaContextHandle context, int index);

    [LibraryImport(Llama)]
    public static partial void llama_sampler_free(IntPtr sampler);
}

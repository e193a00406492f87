using System.Buffers;
using System.Collections.Frozen;
using System.Text;
using BasedEval.Core.Suites;
using BasedEval.LlamaCpp.Interop;

namespace BasedEval.LlamaCpp;

/// <summary>A prompt rendered by a chat template, and which template rendered it.</summary>
/// <param name="Template">The built-in template's name, or the model's own template text.</param>
/// <param name="IsFallback">True where the model carries no chat template and chatml was used instead.</param>
public sealed record ChatPrompt(string Text, string Template, bool IsFallback);

/// <summary>
/// A GGUF model loaded by llama.cpp: weights, vocabulary and metadata. Thread-safe for tokenization and templates;
/// generation and scoring go through a <see cref="LlamaEngine"/>.
/// </summary>
public sealed unsafe class LlamaModel : IDisposable
{
    /// <summary>Offload every layer to the GPU where there is one.</summary>
    public const int AllLayers = -1;

    public const string FallbackChatTemplate = "chatml";

    private readonly IntPtr _vocab;
    private readonly Lazy<string> _sha256;
    private int _fallbackWarned;

    private LlamaModel(string path, SafeLlamaModelHandle handle, int gpuLayers)
    {
        Path = path;
        Handle = handle;
        GpuLayers = gpuLayers;
        _vocab = NativeMethods.llama_model_get_vocab(handle);
        VocabularySize = NativeMethods.llama_vocab_n_tokens(_vocab);
        BosToken = NativeMethods.llama_vocab_bos(_vocab);
        EosToken = NativeMethods.llama_vocab_eos(_vocab);
        AddsBos = NativeMethods.llama_vocab_get_add_bos(_vocab);
        TrainedContextLength = NativeMethods.llama_model_n_ctx_train(handle);
        EmbeddingLength = NativeMethods.llama_model_n_embd(handle);
        LayerCount = NativeMethods.llama_model_n_layer(handle);
        ParameterCount = (long)NativeMethods.llama_model_n_params(handle);
        SizeBytes = (long)NativeMethods.llama_model_size(handle);
        Description = ReadString((buffer, size) => NativeMethods.llama_model_desc(handle, buffer, size));
        Metadata = ReadMetadata(handle);
        var template = NativeMethods.llama_model_chat_template(handle, null);
        ChatTemplate = template == null ? null : LlamaBackend.Utf8(template);
        _sha256 = new Lazy<string>(() => ModelFileHash.Sha256(path), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string Path { get; }

    public int GpuLayers { get; }

    public int VocabularySize { get; }

    /// <summary>The beginning-of-sequence token, or -1 where the vocabulary has none.</summary>
    public int BosToken { get; }

    public int EosToken { get; }

    /// <summary>Whether the vocabulary asks for BOS at the start of every sequence (llama-2 does).</summary>
    public bool AddsBos { get; }

    public int TrainedContextLength { get; }

    public int EmbeddingLength { get; }

    public int LayerCount { get; }

    public long ParameterCount { get; }

    public long SizeBytes { get; }

    /// <summary>llama.cpp's one-line description: architecture, size class, file type.</summary>
    public string Description { get; }

    /// <summary>Scalar GGUF metadata as text (arrays such as the vocabulary are left out).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The model's own chat template (tokenizer.chat_template), null where it has none.</summary>
    public string? ChatTemplate { get; }

    /// <summary>Hex SHA-256 of the model file, computed once and remembered across runs (see <see cref="ModelFileHash"/>).</summary>
    public string FileSha256 => _sha256.Value;

    internal SafeLlamaModelHandle Handle { get; }

    /// <summary>Loads a GGUF file. A missing, truncated or non-GGUF file fails with a message naming it.</summary>
    /// <param name="gpuLayers">Layers to offload: <see cref="AllLayers"/>, a count, or 0 for CPU only.</param>
    /// <param name="vocabularyOnly">Read the vocabulary and metadata but no weights: enough to tokenize, in a fraction of the memory.</param>
    public static LlamaModel Load(string path, int gpuLayers = AllLayers, bool vocabularyOnly = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(gpuLayers, AllLayers);
        path = System.IO.Path.GetFullPath(path);
        GgufFile.Validate(path);
        LlamaBackend.Initialize();

        var parameters = NativeMethods.llama_model_default_params();
        parameters.NGpuLayers = gpuLayers;
        parameters.VocabOnly = vocabularyOnly;
        var handle = NativeMethods.llama_model_load_from_file(path, parameters);
        if (handle.IsInvalid)
        {
            handle.Dispose();
            throw new LlamaException($"llama.cpp could not load model file {path}: the file is damaged or its architecture is not supported (see the llama.cpp error above)");
        }

        if (!NativeMethods.llama_model_has_decoder(handle))
        {
            handle.Dispose();
            throw new LlamaException($"Model file {path} has no decoder; only text-generating models are supported");
        }

        return new LlamaModel(path, handle, gpuLayers);
    }

    /// <summary>Names of the chat templates llama.cpp knows built in ("chatml", "llama2", "llama3", …).</summary>
    public static IReadOnlyList<string> BuiltInChatTemplates()
    {
        LlamaBackend.Initialize();
        var count = NativeMethods.llama_chat_builtin_templates(null, 0);
        var names = new IntPtr[count];
        fixed (IntPtr* output = names)
        {
            count = Math.Min(count, NativeMethods.llama_chat_builtin_templates((byte**)output, (nuint)count));
        }

        return names.Take(count).Select(n => LlamaBackend.Utf8((byte*)n)).ToArray();
    }

    /// <summary>
    /// Renders messages with a built-in template (by name) or a model's template text that llama.cpp recognises; ends with
    /// the assistant's turn opened so the model answers next.
    /// </summary>
    public static string ApplyChatTemplate(string template, IReadOnlyList<ChatMessage> messages)
    {
        ArgumentException.ThrowIfNullOrEmpty(template);
        ArgumentNullException.ThrowIfNull(messages);
        LlamaBackend.Initialize();

        // One pinned UTF-8 block holds every string: role\0content\0 per message, then the template.
        var encoding = Encoding.UTF8;
        var size = encoding.GetByteCount(template) + 1 + messages.Sum(m => encoding.GetByteCount(m.Role) + encoding.GetByteCount(m.Content) + 2);
        var strings = new byte[size];
        var chat = new LlamaChatMessage[messages.Count];
        var contentLength = 0;
        fixed (byte* block = strings)
        {
            var offset = 0;
            for (var i = 0; i < messages.Count; i++)
            {
                chat[i].Role = (IntPtr)(block + offset);
                offset += encoding.GetBytes(messages[i].Role, strings.AsSpan(offset)) + 1;
                chat[i].Content = (IntPtr)(block + offset);
                var length = encoding.GetBytes(messages[i].Content, strings.AsSpan(offset));
                contentLength += length;
                offset += length + 1;
            }

            var templateText = block + offset;
            encoding.GetBytes(template, strings.AsSpan(offset));
            fixed (LlamaChatMessage* chatPointer = chat)
            {
                var capacity = Math.Max(256, 2 * (contentLength + size));
                while (true)
                {
                    var output = ArrayPool<byte>.Shared.Rent(capacity);
                    try
                    {
                        int written;
                        fixed (byte* buffer = output)
                        {
                            written = NativeMethods.llama_chat_apply_template(templateText, chatPointer, (nuint)chat.Length, true, buffer, output.Length);
                        }

                        if (written < 0)
                        {
                            throw new LlamaException($"llama.cpp does not support the chat template \"{Abbreviate(template)}\"; name a built-in one ({string.Join(", ", BuiltInChatTemplates())})");
                        }

                        if (written <= output.Length)
                        {
                            return encoding.GetString(output, 0, written);
                        }

                        capacity = written;
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(output);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Renders messages with the model's own template, or with chatml where the model has none (then
    /// <see cref="ChatPrompt.IsFallback"/> is set and one warning is logged per model).
    /// </summary>
    public ChatPrompt ApplyChatTemplate(IReadOnlyList<ChatMessage> messages)
    {
        if (ChatTemplate is { } own)
        {
            return new ChatPrompt(ApplyChatTemplate(own, messages), own, IsFallback: false);
        }

        if (Interlocked.Exchange(ref _fallbackWarned, 1) == 0)
        {
            LlamaBackend.Log.WriteLine($"warning: {Path} has no chat template in its metadata; using {FallbackChatTemplate}");
        }

        return new ChatPrompt(ApplyChatTemplate(FallbackChatTemplate, messages), FallbackChatTemplate, IsFallback: true);
    }

    /// <summary>Token ids of <paramref name="text"/>.</summary>
    /// <param name="addSpecial">Add BOS (and EOS) where the vocabulary asks for them.</param>
    /// <param name="parseSpecial">Read special-token text such as "&lt;s&gt;" as those tokens rather than as plain text.</param>
    public int[] Tokenize(string text, bool addSpecial = true, bool parseSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var byteCount = Encoding.UTF8.GetByteCount(text);
        var rented = ArrayPool<byte>.Shared.Rent(byteCount + 1);
        try
        {
            var length = Encoding.UTF8.GetBytes(text, rented);
            // A token covers at least one byte, plus BOS and EOS.
            var tokens = new int[length + 2];
            int count;
            fixed (byte* bytes = rented)
            fixed (int* output = tokens)
            {
                count = NativeMethods.llama_tokenize(_vocab, bytes, length, output, tokens.Length, addSpecial, parseSpecial);
            }

            if (count < 0)
            {
                throw new LlamaException($"llama.cpp could not tokenize a text of {length} bytes (llama_tokenize returned {count})");
            }

            return tokens.AsSpan(0, count).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// The text of <paramref name="tokens"/> as llama.cpp renders it: special tokens (BOS, EOS) are left out unless
    /// <paramref name="renderSpecial"/>, and a SentencePiece vocabulary's space prefix is dropped from the first token unless
    /// the tokens start with BOS (so tokenizing without special tokens and detokenizing gives the text back).
    /// </summary>
    public string Detokenize(ReadOnlySpan<int> tokens, bool renderSpecial = false)
    {
        var capacity = Math.Max(64, tokens.Length * 8);
        while (true)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(capacity);
            try
            {
                int written;
                fixed (int* input = tokens)
                fixed (byte* output = buffer)
                {
                    written = NativeMethods.llama_detokenize(_vocab, input, tokens.Length, output, buffer.Length, removeSpecial: false, unparseSpecial: renderSpecial);
                }

                if (written >= 0)
                {
                    return Encoding.UTF8.GetString(buffer, 0, written);
                }

                capacity = -written;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Whether generation ends at this token (EOS, end of turn, …).</summary>
    public bool IsEndOfGeneration(int token) => NativeMethods.llama_vocab_is_eog(_vocab, token);

    /// <summary>
    /// Writes the bytes of one token's text into <paramref name="buffer"/> and returns their count. A piece may be part of a
    /// UTF-8 character (byte-fallback tokens), so callers decode pieces with a stateful decoder.
    /// </summary>
    internal int TokenToPiece(int token, Span<byte> buffer)
    {
        fixed (byte* output = buffer)
        {
            var written = NativeMethods.llama_token_to_piece(_vocab, token, output, buffer.Length, 0, special: false);
            if (written < 0)
            {
                throw new LlamaException($"Token {token} has a piece of {-written} bytes, longer than the {buffer.Length}-byte buffer");
            }

            return written;
        }
    }

    public void Dispose() => Handle.Dispose();

    private static string Abbreviate(string text) => text.Length <= 60 ? text : text[..60] + "…";

    private static FrozenDictionary<string, string> ReadMetadata(SafeLlamaModelHandle handle)
    {
        var count = NativeMethods.llama_model_meta_count(handle);
        var metadata = new Dictionary<string, string>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var index = i;
            var key = ReadString((buffer, size) => NativeMethods.llama_model_meta_key_by_index(handle, index, buffer, size));
            metadata[key] = ReadString((buffer, size) => NativeMethods.llama_model_meta_val_str_by_index(handle, index, buffer, size));
        }

        return metadata.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private delegate int StringReader(byte* buffer, nuint size);

    /// <summary>llama.cpp's metadata getters return the full length and truncate to the buffer; retry once with the full size.</summary>
    private static string ReadString(StringReader read)
    {
        var buffer = new byte[256];
        while (true)
        {
            int length;
            fixed (byte* output = buffer)
            {
                length = read(output, (nuint)buffer.Length);
            }

            if (length < 0)
            {
                return "";
            }

            if (length < buffer.Length)
            {
                return Encoding.UTF8.GetString(buffer, 0, length);
            }

            buffer = new byte[length + 1];
        }
    }
}

using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using BasedEval.LlamaCpp.Interop;

namespace BasedEval.LlamaCpp.Engine;

/// <summary>Prompt processing, then one sampled token per step, streamed to the caller's channel.</summary>
internal sealed class GenerationWork(int[] prompt, LlamaSampling sampling, ChannelWriter<GenerationUpdate> output, CancellationToken cancellationToken)
    : SequenceWork(cancellationToken)
{
    // A token's piece is at most a few dozen bytes; 256 also covers the longest special-token texts.
    private readonly byte[] _piece = new byte[256];
    private readonly char[] _chars = new char[256];
    private readonly Decoder _utf8 = Encoding.UTF8.GetDecoder();
    private LlamaModel _model = null!;
    private TokenSampler? _sampler;
    private int _sequence;
    private int _sequenceLength;
    private int _maxTokens;
    private int _fed;
    private int _position;
    private int _lastToken;
    private int _generated;
    private int _outputIndex = -1;
    private long _start;

    public override void Start(DecodeLoop loop, int sequence)
    {
        _model = loop.Model;
        _sequence = sequence;
        _sequenceLength = loop.SequenceLength;
        if (prompt.Length == 0)
        {
            throw new ArgumentException("The prompt has no tokens");
        }

        if (prompt.Length >= _sequenceLength)
        {
            throw new LlamaPromptTooLongException(prompt.Length, _sequenceLength);
        }

        _maxTokens = Math.Min(sampling.MaxTokens ?? int.MaxValue, _sequenceLength - prompt.Length);
        _sampler = TokenSampler.Create(_model, sampling);
        _start = Stopwatch.GetTimestamp();
        if (_maxTokens <= 0)
        {
            Complete(LlamaFinishReason.Length);
        }
    }

    public override void Fill(BatchBuffer batch)
    {
        if (_fed < prompt.Length)
        {
            var count = Math.Min(batch.Remaining, prompt.Length - _fed);
            for (var i = 0; i < count; i++, _fed++)
            {
                var last = _fed == prompt.Length - 1;
                var index = batch.Add(prompt[_fed], _position++, _sequence, last);
                if (last)
                {
                    _outputIndex = index;
                }
            }
        }
        else
        {
            _outputIndex = batch.Add(_lastToken, _position++, _sequence, true);
        }
    }

    public override void Decoded(DecodeLoop loop)
    {
        if (_outputIndex < 0)
        {
            return;
        }

        var token = loop.Sample(_sampler!, _outputIndex);
        var now = Stopwatch.GetTimestamp();
        _outputIndex = -1;
        if (_model.IsEndOfGeneration(token))
        {
            Complete(LlamaFinishReason.Stop);
            return;
        }

        _generated++;
        var bytes = _model.TokenToPiece(token, _piece);
        var chars = _utf8.GetChars(_piece, 0, bytes, _chars, 0, flush: false);
        output.TryWrite(new GenerationUpdate(token, chars == 0 ? "" : new string(_chars, 0, chars), now, null));
        _lastToken = token;
        if (_generated >= _maxTokens)
        {
            Complete(LlamaFinishReason.Length);
        }
    }

    protected override void OnFailed(Exception error)
    {
        _sampler?.Dispose();
        output.TryComplete(error);
    }

    private void Complete(LlamaFinishReason reason)
    {
        var chars = _utf8.GetChars([], 0, 0, _chars, 0, flush: true);
        var summary = new GenerationSummary(reason, prompt.Length, _generated, _start, Stopwatch.GetTimestamp());
        output.TryWrite(new GenerationUpdate(-1, chars == 0 ? "" : new string(_chars, 0, chars), summary.EndTimestamp, summary));
        output.TryComplete();
        _sampler?.Dispose();
        Finish();
    }
}

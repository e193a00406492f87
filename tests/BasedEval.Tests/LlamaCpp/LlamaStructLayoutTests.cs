using System.Runtime.CompilerServices;
using BasedEval.LlamaCpp.Interop;

namespace BasedEval.Tests.LlamaCpp;

/// <summary>
/// The expected numbers are what gcc reports (sizeof/offsetof, x86-64) for include/llama.h of llama.cpp v0.5.0 as bundled
/// with node-llama-cpp 3.22.1, the version whose natives the build downloads. Marshal.SizeOf would count a C# bool as four
/// bytes; the binding disables runtime marshalling, so the managed layout is what crosses the boundary and is what is checked.
/// </summary>
public class LlamaStructLayoutTests
{
    [Fact]
    public void Model_params_match_llama_h()
    {
        var s = default(LlamaModelParams);
        Assert.Equal(80, Unsafe.SizeOf<LlamaModelParams>());
        Assert.Equal(0, Offset(ref s, ref s.Devices));
        Assert.Equal(8, Offset(ref s, ref s.TensorBuftOverrides));
        Assert.Equal(16, Offset(ref s, ref s.NGpuLayers));
        Assert.Equal(20, Offset(ref s, ref s.SplitMode));
        Assert.Equal(24, Offset(ref s, ref s.LoadMode));
        Assert.Equal(28, Offset(ref s, ref s.LazyMode));
        Assert.Equal(32, Offset(ref s, ref s.MainGpu));
        Assert.Equal(40, Offset(ref s, ref s.TensorSplit));
        Assert.Equal(48, Offset(ref s, ref s.ProgressCallback));
        Assert.Equal(56, Offset(ref s, ref s.ProgressCallbackUserData));
        Assert.Equal(64, Offset(ref s, ref s.KvOverrides));
        Assert.Equal(72, Offset(ref s, ref s.VocabOnly));
        Assert.Equal(73, Offset(ref s, ref s.CheckTensors));
        Assert.Equal(74, Offset(ref s, ref s.UseExtraBufts));
        Assert.Equal(75, Offset(ref s, ref s.NoHost));
        Assert.Equal(76, Offset(ref s, ref s.NoAlloc));
        Assert.Equal(77, Offset(ref s, ref s.LoadMtp));
    }

    [Fact]
    public void Context_params_match_llama_h()
    {
        var s = default(LlamaContextParams);
        Assert.Equal(160, Unsafe.SizeOf<LlamaContextParams>());
        Assert.Equal(0, Offset(ref s, ref s.NCtx));
        Assert.Equal(4, Offset(ref s, ref s.NBatch));
        Assert.Equal(8, Offset(ref s, ref s.NUbatch));
        Assert.Equal(12, Offset(ref s, ref s.NSeqMax));
        Assert.Equal(16, Offset(ref s, ref s.NRsSeq));
        Assert.Equal(20, Offset(ref s, ref s.NOutputsMax));
        Assert.Equal(24, Offset(ref s, ref s.NOutputsMaxPerSeq));
        Assert.Equal(28, Offset(ref s, ref s.NThreads));
        Assert.Equal(32, Offset(ref s, ref s.NThreadsBatch));
        Assert.Equal(36, Offset(ref s, ref s.CtxType));
        Assert.Equal(40, Offset(ref s, ref s.RopeScalingType));
        Assert.Equal(44, Offset(ref s, ref s.PoolingType));
        Assert.Equal(48, Offset(ref s, ref s.AttentionType));
        Assert.Equal(52, Offset(ref s, ref s.FlashAttnType));
        Assert.Equal(56, Offset(ref s, ref s.RopeFreqBase));
        Assert.Equal(60, Offset(ref s, ref s.RopeFreqScale));
        Assert.Equal(64, Offset(ref s, ref s.YarnExtFactor));
        Assert.Equal(68, Offset(ref s, ref s.YarnAttnFactor));
        Assert.Equal(72, Offset(ref s, ref s.YarnBetaFast));
        Assert.Equal(76, Offset(ref s, ref s.YarnBetaSlow));
        Assert.Equal(80, Offset(ref s, ref s.YarnOrigCtx));
        Assert.Equal(84, Offset(ref s, ref s.DefragThold));
        Assert.Equal(88, Offset(ref s, ref s.CbEval));
        Assert.Equal(96, Offset(ref s, ref s.CbEvalUserData));
        Assert.Equal(104, Offset(ref s, ref s.TypeK));
        Assert.Equal(108, Offset(ref s, ref s.TypeV));
        Assert.Equal(112, Offset(ref s, ref s.AbortCallback));
        Assert.Equal(120, Offset(ref s, ref s.AbortCallbackData));
        Assert.Equal(128, Offset(ref s, ref s.Embeddings));
        Assert.Equal(129, Offset(ref s, ref s.OffloadKqv));
        Assert.Equal(130, Offset(ref s, ref s.NoPerf));
        Assert.Equal(131, Offset(ref s, ref s.OpOffload));
        Assert.Equal(132, Offset(ref s, ref s.SwaFull));
        Assert.Equal(133, Offset(ref s, ref s.KvUnified));
        Assert.Equal(136, Offset(ref s, ref s.Samplers));
        Assert.Equal(144, Offset(ref s, ref s.NSamplers));
        Assert.Equal(152, Offset(ref s, ref s.CtxOther));
    }

    [Fact]
    public void Quantize_params_match_llama_h()
    {
        var s = default(LlamaModelQuantizeParams);
        Assert.Equal(64, Unsafe.SizeOf<LlamaModelQuantizeParams>());
        Assert.Equal(0, Offset(ref s, ref s.NThread));
        Assert.Equal(4, Offset(ref s, ref s.FileType));
        Assert.Equal(8, Offset(ref s, ref s.OutputTensorType));
        Assert.Equal(12, Offset(ref s, ref s.TokenEmbeddingType));
        Assert.Equal(16, Offset(ref s, ref s.AllowRequantize));
        Assert.Equal(17, Offset(ref s, ref s.QuantizeOutputTensor));
        Assert.Equal(18, Offset(ref s, ref s.OnlyCopy));
        Assert.Equal(19, Offset(ref s, ref s.Pure));
        Assert.Equal(20, Offset(ref s, ref s.KeepSplit));
        Assert.Equal(21, Offset(ref s, ref s.DryRun));
        Assert.Equal(24, Offset(ref s, ref s.Imatrix));
        Assert.Equal(32, Offset(ref s, ref s.KvOverrides));
        Assert.Equal(40, Offset(ref s, ref s.TensorTypeOverrides));
        Assert.Equal(48, Offset(ref s, ref s.PruneLayers));
        Assert.Equal(56, Offset(ref s, ref s.MaxBufSize));
    }

    [Fact]
    public void Batch_matches_llama_h()
    {
        var s = default(LlamaBatch);
        Assert.Equal(56, Unsafe.SizeOf<LlamaBatch>());
        Assert.Equal(0, Offset(ref s, ref s.NTokens));
        Assert.Equal(8, Offset(ref s, ref s.Token));
        Assert.Equal(16, Offset(ref s, ref s.Embd));
        Assert.Equal(24, Offset(ref s, ref s.Pos));
        Assert.Equal(32, Offset(ref s, ref s.NSeqId));
        Assert.Equal(40, Offset(ref s, ref s.SeqId));
        Assert.Equal(48, Offset(ref s, ref s.Logits));
    }

    [Fact]
    public void Token_data_and_its_array_match_llama_h()
    {
        var data = default(LlamaTokenData);
        Assert.Equal(12, Unsafe.SizeOf<LlamaTokenData>());
        Assert.Equal(8, Offset(ref data, ref data.P));
        var array = default(LlamaTokenDataArray);
        Assert.Equal(32, Unsafe.SizeOf<LlamaTokenDataArray>());
        Assert.Equal(8, Offset(ref array, ref array.Size));
        Assert.Equal(16, Offset(ref array, ref array.Selected));
        Assert.Equal(24, Offset(ref array, ref array.Sorted));
    }

    [Fact]
    public void Chat_message_and_sampler_chain_params_match_llama_h()
    {
        var message = default(LlamaChatMessage);
        Assert.Equal(16, Unsafe.SizeOf<LlamaChatMessage>());
        Assert.Equal(0, Offset(ref message, ref message.Role));
        Assert.Equal(8, Offset(ref message, ref message.Content));

        var chain = default(LlamaSamplerChainParams);
        Assert.Equal(1, Unsafe.SizeOf<LlamaSamplerChainParams>());
        Assert.Equal(0, Offset(ref chain, ref chain.NoPerf));
    }

    private static int Offset<TStruct, TField>(ref TStruct instance, ref TField field) =>
        (int)Unsafe.ByteOffset(ref Unsafe.As<TStruct, byte>(ref instance), ref Unsafe.As<TField, byte>(ref field));
}

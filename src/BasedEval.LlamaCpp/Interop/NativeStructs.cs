using System.Runtime.InteropServices;

namespace BasedEval.LlamaCpp.Interop;

// Mirrors of llama.h (llama.cpp v0.5.0). The assembly disables runtime marshalling, so these structs cross the boundary
// as raw memory: C `bool` is one byte here as there, and pointers are IntPtr so that layout tests need no unsafe code.
// LlamaStructLayoutTests pins every size and offset to what the C compiler reports for that header.

[StructLayout(LayoutKind.Sequential)]
internal struct LlamaModelParams
{
    public IntPtr Devices;
    public IntPtr TensorBuftOverrides;
    public int NGpuLayers;
    public int SplitMode;
    public int LoadMode;
    public int LazyMode;
    public int MainGpu;
    public IntPtr TensorSplit;
    public IntPtr ProgressCallback;
    public IntPtr ProgressCallbackUserData;
    public IntPtr KvOverrides;
    public bool VocabOnly;
    public bool CheckTensors;
    public bool UseExtraBufts;
    public bool NoHost;
    public bool NoAlloc;
    public bool LoadMtp;
}

[StructLayout(LayoutKind.Sequential)]
internal struct LlamaContextParams
{
    public uint NCtx;
    public uint NBatch;
    public uint NUbatch;
    public uint NSeqMax;
    public uint NRsSeq;
    public uint NOutputsMax;
    public uint NOutputsMaxPerSeq;
    public int NThreads;
    public int NThreadsBatch;
    public int CtxType;
    public int RopeScalingType;
    public int PoolingType;
    public int AttentionType;
    public int FlashAttnType;
    public float RopeFreqBase;
    public float RopeFreqScale;
    public float YarnExtFactor;
    public float YarnAttnFactor;
    public float YarnBetaFast;
    public float YarnBetaSlow;
    public uint YarnOrigCtx;
    public float DefragThold;
    public IntPtr CbEval;
    public IntPtr CbEvalUserData;
    public int TypeK;
    public int TypeV;
    public IntPtr AbortCallback;
    public IntPtr AbortCallbackData;
    public bool Embeddings;
    public bool OffloadKqv;
    public bool NoPerf;
    public bool OpOffload;
    public bool SwaFull;
    public bool KvUnified;
    public IntPtr Samplers;
    public nuint NSamplers;
    public IntPtr CtxOther;
}

[StructLayout(LayoutKind.Sequential)]
internal struct LlamaModelQuantizeParams
{
    public int NThread;
    public LlamaFileType FileType;
    public int OutputTensorType;
    public int TokenEmbeddingType;
    public bool AllowRequantize;
    public bool QuantizeOutputTensor;
    public bool OnlyCopy;
    public bool Pure;
    public bool KeepSplit;
    public bool DryRun;
    public IntPtr Imatrix;
    public IntPtr KvOverrides;
    public IntPtr TensorTypeOverrides;
    public IntPtr PruneLayers;
    public nuint MaxBufSize;
}

[StructLayout(LayoutKind.Sequential)]
internal struct LlamaBatch
{
    public int NTokens;
    public IntPtr Token;
    public IntPtr Embd;
    public IntPtr Pos;
    public IntPtr NSeqId;
    public IntPtr SeqId;
    public IntPtr Logits;
}

[StructLayout(LayoutKind.Sequential)]
internal struct LlamaChatMessage
{
    public IntPtr Role;
    public IntPtr Content;
}

[StructLayout(LayoutKind.Sequential)]
internal struct LlamaSamplerChainParams
{
    public bool NoPerf;
}

[StructLayout(LayoutKind.Sequential)]
internal struct LlamaTokenData
{
    public int Id;
    public float Logit;
    public float P;
}

[StructLayout(LayoutKind.Sequential)]
internal struct LlamaTokenDataArray
{
    /// <summary>LlamaTokenData*; samplers may point it elsewhere.</summary>
    public IntPtr Data;
    public nuint Size;

    /// <summary>Index into <see cref="Data"/> of the chosen token, not its id.</summary>
    public long Selected;
    public bool Sorted;
}

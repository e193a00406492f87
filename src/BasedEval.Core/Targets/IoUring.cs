using System.Runtime.InteropServices;

namespace BasedEval.Core.Targets;

/// <summary>
/// A thin binding to one Linux io_uring (x86-64 only): the submission and completion rings mapped into this process, a
/// ring of provided receive buffers, and the few operations the receive pump asks of it. One thread owns an instance:
/// it alone prepares entries, enters the kernel and harvests completions.
/// </summary>
internal sealed unsafe partial class IoUring : IDisposable
{
    internal const byte OpPollAdd = 6;
    internal const byte OpReceiveMessage = 10;
    internal const byte OpAsyncCancel = 14;
    internal const byte SqeBufferSelect = 1 << 5;
    internal const byte SqeSkipSuccess = 1 << 6;
    internal const ushort ReceiveMultishot = 1 << 1;
    internal const uint PollMultishot = 1 << 0;
    internal const uint CqeBuffer = 1 << 0;
    internal const uint CqeMore = 1 << 1;
    internal const int CqeBufferShift = 16;

    private const long SetupSyscall = 425;
    private const long EnterSyscall = 426;
    private const long RegisterSyscall = 427;
    private const uint SetupCompletionQueueSize = 1 << 3;
    private const uint EnterGetEvents = 1 << 0;
    private const uint FeatureSingleMmap = 1 << 0;
    private const uint FeatureNoDrop = 1 << 1;
    private const uint RegisterBufferRing = 22;
    private const long SubmissionRingOffset = 0;
    private const long EntriesOffset = 0x10000000;
    private const int ProtectReadWrite = 0x1 | 0x2;
    private const int MapSharedPopulate = 0x01 | 0x8000;
    private const nint MapFailed = -1;

    private readonly int _fd;
    private readonly void* _rings;
    private readonly nuint _ringsBytes;
    private readonly SubmissionEntry* _entries;
    private readonly nuint _entriesBytes;
    private readonly uint* _submissionTail;
    private readonly uint* _submissionArray;
    private readonly uint _submissionMask;
    private readonly uint* _completionHead;
    private readonly uint* _completionTail;
    private readonly uint _completionMask;
    private readonly CompletionEntry* _completions;
    private readonly uint _submissionCapacity;
    private uint _preparedTail;
    private uint _submittedTail;

    private IoUring(int fd, in Parameters parameters, void* rings, nuint ringsBytes, SubmissionEntry* entries, nuint entriesBytes)
    {
        _fd = fd;
        _rings = rings;
        _ringsBytes = ringsBytes;
        _entries = entries;
        _entriesBytes = entriesBytes;
        var bytes = (byte*)rings;
        _submissionTail = (uint*)(bytes + parameters.Submission.Tail);
        _submissionArray = (uint*)(bytes + parameters.Submission.Array);
        _submissionMask = *(uint*)(bytes + parameters.Submission.RingMask);
        _completionHead = (uint*)(bytes + parameters.Completion.Head);
        _completionTail = (uint*)(bytes + parameters.Completion.Tail);
        _completionMask = *(uint*)(bytes + parameters.Completion.RingMask);
        _completions = (CompletionEntry*)(bytes + parameters.Completion.Entries);
        _preparedTail = _submittedTail = *_submissionTail;
        _submissionCapacity = parameters.SubmissionEntries;
    }

    /// <summary>
    /// A ring with <paramref name="submissionEntries"/> submission and <paramref name="completionEntries"/> completion
    /// slots (powers of two); null where the kernel refuses io_uring (too old, disabled, or a sandbox that filters it) or
    /// lacks the shared mapping and completion-overflow features relied on here.
    /// </summary>
    public static IoUring? TryCreate(uint submissionEntries, uint completionEntries)
    {
        var parameters = new Parameters { Flags = SetupCompletionQueueSize, CompletionEntries = completionEntries };
        var fd = (int)Syscall(SetupSyscall, (nint)submissionEntries, (nint)(&parameters), 0, 0, 0, 0);
        if (fd < 0)
        {
            return null;
        }

        if ((parameters.Features & (FeatureSingleMmap | FeatureNoDrop)) != (FeatureSingleMmap | FeatureNoDrop))
        {
            _ = Close(fd);
            return null;
        }

        var ringsBytes = (nuint)Math.Max(
            parameters.Submission.Array + (parameters.SubmissionEntries * sizeof(uint)),
            parameters.Completion.Entries + (parameters.CompletionEntries * (uint)sizeof(CompletionEntry)));
        var rings = Map(ringsBytes, fd, SubmissionRingOffset);
        var entriesBytes = (nuint)(parameters.SubmissionEntries * (uint)sizeof(SubmissionEntry));
        var entries = rings == MapFailed ? MapFailed : Map(entriesBytes, fd, EntriesOffset);
        if (rings == MapFailed || entries == MapFailed)
        {
            if (rings != MapFailed)
            {
                _ = Unmap(rings, ringsBytes);
            }

            _ = Close(fd);
            return null;
        }

        return new IoUring(fd, parameters, (void*)rings, ringsBytes, (SubmissionEntry*)entries, entriesBytes);
    }

    /// <summary>
    /// Registers <paramref name="ring"/> (page-aligned, <paramref name="entries"/> slots of 16 bytes) as buffer group
    /// <paramref name="group"/>; false where the kernel has no provided-buffer rings.
    /// </summary>
    public bool TryRegisterBufferRing(BufferRingEntry* ring, uint entries, ushort group)
    {
        var registration = new BufferRingRegistration { RingAddress = (ulong)ring, RingEntries = entries, Group = group };
        return Syscall(RegisterSyscall, _fd, (nint)RegisterBufferRing, (nint)(&registration), 1, 0, 0) == 0;
    }

    /// <summary>
    /// A multishot recvmsg on <paramref name="fd"/>: each arrival lands in a buffer of <paramref name="group"/> as an
    /// io_uring_recvmsg_out header, the control messages <paramref name="template"/> leaves room for, and the bytes.
    /// </summary>
    public void PrepareMultishotReceive(int fd, KernelTimestampedStream.MessageHeader* template, ushort group, ulong userData)
    {
        var entry = NextEntry();
        entry->Opcode = OpReceiveMessage;
        entry->Flags = SqeBufferSelect;
        entry->IoPriority = ReceiveMultishot;
        entry->Fd = fd;
        entry->Address = (ulong)template;
        entry->Length = 1;
        entry->BufferGroup = group;
        entry->UserData = userData;
    }

    /// <summary>A multishot poll for readability of <paramref name="fd"/>: one completion per wake-up.</summary>
    public void PrepareMultishotPoll(int fd, ulong userData)
    {
        var entry = NextEntry();
        entry->Opcode = OpPollAdd;
        entry->Fd = fd;
        entry->Length = PollMultishot;
        entry->OperationFlags = 0x1; // POLLIN
        entry->UserData = userData;
    }

    /// <summary>Cancels the request submitted with <paramref name="target"/>; only a failure to do so completes.</summary>
    public void PrepareCancel(ulong target, ulong userData)
    {
        var entry = NextEntry();
        entry->Opcode = OpAsyncCancel;
        entry->Flags = SqeSkipSuccess;
        entry->Fd = -1;
        entry->Address = target;
        entry->UserData = userData;
    }

    /// <summary>
    /// Hands the prepared entries to the kernel and, when <paramref name="wait"/>, sleeps until a completion is there.
    /// Returns 0 or the negated errno (EINTR when a signal cut the wait short).
    /// </summary>
    public int SubmitAndWait(bool wait)
    {
        Volatile.Write(ref *_submissionTail, _preparedTail);
        var toSubmit = _preparedTail - _submittedTail;
        var result = Syscall(EnterSyscall, _fd, (nint)toSubmit, wait ? 1 : 0, wait ? (nint)EnterGetEvents : 0, 0, 0);
        if (result < 0)
        {
            return -Marshal.GetLastPInvokeError();
        }

        _submittedTail += (uint)result;
        return 0;
    }

    /// <summary>Takes the next completion, if one is there; its slot is free once taken.</summary>
    public bool TryTakeCompletion(out CompletionEntry completion)
    {
        var head = *_completionHead;
        if (head == Volatile.Read(ref *_completionTail))
        {
            completion = default;
            return false;
        }

        completion = _completions[head & _completionMask];
        Volatile.Write(ref *_completionHead, head + 1);
        return true;
    }

    public void Dispose()
    {
        _ = Unmap((nint)_entries, _entriesBytes);
        _ = Unmap((nint)_rings, _ringsBytes);
        _ = Close(_fd);
    }

    private SubmissionEntry* NextEntry()
    {
        if (_preparedTail - _submittedTail == _submissionCapacity)
        {
            // Full of entries not yet handed over: hand them over now. Submission of a well-formed entry does not fail.
            _ = SubmitAndWait(wait: false);
        }

        var index = _preparedTail & _submissionMask;
        var entry = _entries + index;
        *entry = default;
        _submissionArray[index] = index;
        _preparedTail++;
        return entry;
    }

    private static nint Map(nuint length, int fd, long offset) => MapMemory(0, length, ProtectReadWrite, MapSharedPopulate, fd, offset);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, nint first, nint second, nint third, nint fourth, nint fifth, nint sixth);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint MapMemory(nint address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Unmap(nint address, nuint length);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    /// <summary>struct io_sqring_offsets: 40 bytes.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 40)]
    internal struct SubmissionRingOffsets
    {
        [FieldOffset(0)] public uint Head;
        [FieldOffset(4)] public uint Tail;
        [FieldOffset(8)] public uint RingMask;
        [FieldOffset(24)] public uint Array;
    }

    /// <summary>struct io_cqring_offsets: 40 bytes.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 40)]
    internal struct CompletionRingOffsets
    {
        [FieldOffset(0)] public uint Head;
        [FieldOffset(4)] public uint Tail;
        [FieldOffset(8)] public uint RingMask;
        [FieldOffset(20)] public uint Entries;
    }

    /// <summary>struct io_uring_params: 120 bytes.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 120)]
    internal struct Parameters
    {
        [FieldOffset(0)] public uint SubmissionEntries;
        [FieldOffset(4)] public uint CompletionEntries;
        [FieldOffset(8)] public uint Flags;
        [FieldOffset(20)] public uint Features;
        [FieldOffset(40)] public SubmissionRingOffsets Submission;
        [FieldOffset(80)] public CompletionRingOffsets Completion;
    }

    /// <summary>struct io_uring_sqe: 64 bytes.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 64)]
    internal struct SubmissionEntry
    {
        [FieldOffset(0)] public byte Opcode;
        [FieldOffset(1)] public byte Flags;
        [FieldOffset(2)] public ushort IoPriority;
        [FieldOffset(4)] public int Fd;
        [FieldOffset(8)] public ulong Offset;
        [FieldOffset(16)] public ulong Address;
        [FieldOffset(24)] public uint Length;
        [FieldOffset(28)] public uint OperationFlags;
        [FieldOffset(32)] public ulong UserData;
        [FieldOffset(40)] public ushort BufferGroup;
    }

    /// <summary>struct io_uring_cqe: 16 bytes.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 16)]
    internal struct CompletionEntry
    {
        [FieldOffset(0)] public ulong UserData;
        [FieldOffset(8)] public int Result;
        [FieldOffset(12)] public uint Flags;

        public readonly bool More => (Flags & CqeMore) != 0;

        public readonly int? BufferId => (Flags & CqeBuffer) != 0 ? (int)(Flags >> CqeBufferShift) : null;
    }

    /// <summary>struct io_uring_buf_reg: 40 bytes.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 40)]
    internal struct BufferRingRegistration
    {
        [FieldOffset(0)] public ulong RingAddress;
        [FieldOffset(8)] public uint RingEntries;
        [FieldOffset(12)] public ushort Group;
    }

    /// <summary>struct io_uring_buf: 16 bytes. The ring's tail is the first slot's last two bytes (offset 14).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 16)]
    internal struct BufferRingEntry
    {
        [FieldOffset(0)] public ulong Address;
        [FieldOffset(8)] public uint Length;
        [FieldOffset(12)] public ushort BufferId;
        [FieldOffset(14)] public ushort Tail;
    }

    /// <summary>struct io_uring_recvmsg_out, at the start of each multishot recvmsg buffer: 16 bytes.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 16)]
    internal struct ReceivedMessage
    {
        [FieldOffset(0)] public uint NameLength;
        [FieldOffset(4)] public uint ControlLength;
        [FieldOffset(8)] public uint PayloadLength;
        [FieldOffset(12)] public uint Flags;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text;
using BasedEval.Core.Config;

namespace BasedEval.Core.SweBench;

/// <summary>One regular file of a repository at a commit: its path, blob id and size in bytes.</summary>
public sealed record GitBlob(string Path, string ObjectId, long Size);

/// <summary>
/// A repository's files at one commit, read from its object store with <c>git ls-tree</c> and <c>git cat-file</c>. Nothing is
/// checked out, so prompts for many instances of one repository (each at its own base_commit) are built without a working tree.
/// </summary>
public sealed class GitSnapshot
{
    private readonly string _repository;
    private readonly Dictionary<string, GitBlob> _byPath;

    private GitSnapshot(string repository, string commit, IReadOnlyList<GitBlob> files)
    {
        _repository = repository;
        Commit = commit;
        Files = files;
        _byPath = files.ToDictionary(f => f.Path, StringComparer.Ordinal);
    }

    public string Commit { get; }

    /// <summary>Regular files and executables; symbolic links and submodules have no text of their own.</summary>
    public IReadOnlyList<GitBlob> Files { get; }

    /// <summary>The local clone of <paramref name="repo"/> (owner/name) under <paramref name="folder"/>, named owner__name as SWE-bench names them, or owner/name.</summary>
    public static string? Locate(string folder, string repo)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(repo);
        return ((string[])[repo.Replace("/", "__", StringComparison.Ordinal), repo])
            .Select(name => Path.Combine(folder, name))
            .Where(Directory.Exists)
            .Select(Path.GetFullPath)
            .FirstOrDefault();
    }

    /// <summary>The files of <paramref name="commit"/>; a commit the clone lacks is a <see cref="ConfigException"/> that says how to get it.</summary>
    public static async Task<GitSnapshot> OpenAsync(string repository, string commit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(commit);
        var listing = await GitAsync(repository, ["ls-tree", "-r", "-z", "--long", "--full-tree", commit], null, cancellationToken)
            ?? throw new ConfigException($"{repository} has no commit {commit}", "clone the repository with its full history (or `git fetch origin " + commit + "`) so that base_commit is present");
        var files = new List<GitBlob>();
        foreach (var entry in Encoding.UTF8.GetString(listing).Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            // "<mode> <type> <object> <size>\t<path>", the size padded with spaces.
            var tab = entry.IndexOf('\t', StringComparison.Ordinal);
            var fields = entry[..tab].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields[0] is "100644" or "100755")
            {
                files.Add(new GitBlob(entry[(tab + 1)..], fields[2], long.Parse(fields[3], CultureInfo.InvariantCulture)));
            }
        }

        return new GitSnapshot(repository, commit, files);
    }

    /// <summary>
    /// The text of each of <paramref name="paths"/> that the commit holds as a text file (UTF-8 without NUL bytes), keyed by path;
    /// files it does not hold and binary files are left out.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> ReadTextAsync(IEnumerable<string> paths, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var blobs = paths.Distinct(StringComparer.Ordinal).Select(p => _byPath.GetValueOrDefault(p)).OfType<GitBlob>().ToList();
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        if (blobs.Count == 0)
        {
            return texts;
        }

        var output = await GitAsync(_repository, ["cat-file", "--batch"], string.Concat(blobs.Select(b => b.ObjectId + "\n")), cancellationToken)
            ?? throw new ConfigException($"git cat-file could not read the files of {Commit} in {_repository}", "check that the clone is not damaged (`git fsck`)");

        // Each object comes back as "<object> blob <size>\n<content>\n", in the order asked.
        var position = 0;
        foreach (var blob in blobs)
        {
            var header = Array.IndexOf(output, (byte)'\n', position);
            var size = (int)blob.Size;
            var content = output.AsSpan(header + 1, size);
            position = header + 1 + size + 1;
            if (!content.Contains((byte)0))
            {
                texts[blob.Path] = Encoding.UTF8.GetString(content);
            }
        }

        return texts;
    }

    /// <summary>
    /// Runs git and returns its raw output, or null when it fails. Not <see cref="Scoring.Execution.ChildProcess"/>: that one decodes
    /// and caps text, while cat-file's sizes count bytes and a repository's sources can run to tens of megabytes.
    /// </summary>
    private static async Task<byte[]?> GitAsync(string repository, IReadOnlyList<string> arguments, string? input, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("git")
        {
            WorkingDirectory = Path.GetTempPath(),
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["-C", repository, .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        // The user's git configuration must not change which bytes are read (no textconv, no replace refs).
        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        start.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        start.Environment["GIT_NO_REPLACE_OBJECTS"] = "1";
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("git did not start");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new ConfigException("git was not found on PATH", "install git: prompts read the repositories' files at base_commit with it");
        }

        using var owned = process;
        try
        {
            var writer = Task.Run(
                async () =>
                {
                    try
                    {
                        await process.StandardInput.WriteAsync(input.AsMemory(), cancellationToken);
                        process.StandardInput.Close();
                    }
                    catch (IOException)
                    {
                        // git exited before reading everything (an unknown object); its exit code says so.
                    }
                },
                cancellationToken);
            var errors = process.StandardError.ReadToEndAsync(cancellationToken);
            using var output = new MemoryStream();
            await process.StandardOutput.BaseStream.CopyToAsync(output, cancellationToken);
            await Task.WhenAll(writer, errors);
            await process.WaitForExitAsync(cancellationToken);
            return process.ExitCode == 0 ? output.ToArray() : null;
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using BasedEval.StoreHarness;

// Crash and contention harness for the result store's write path (docs/decisions.md, LiteDB):
//   write KIND PATH START [COUNT]   store samples START, START+1, … one per commit, printing each index once committed
//   kill KIND PATH ROUNDS           SIGKILL a writer ROUNDS times mid-write; after each: does the file open, what was lost
//   concurrent KIND PATH COUNT      two writers at once, COUNT samples each; errors and what was lost
// KIND is sqlite (the product's store), litedb or litedb-shared. "Lost" is a sample whose commit was acknowledged but that
// the file does not hold afterwards.
if (args.Length < 4 || !SampleStores.Kinds.Contains(args[1]) || !int.TryParse(args[3], CultureInfo.InvariantCulture, out var number))
{
    Console.Error.WriteLine($"usage: BasedEval.StoreHarness write|kill|concurrent {string.Join('|', SampleStores.Kinds)} PATH NUMBER [COUNT]");
    return 2;
}

var (mode, kind, path) = (args[0], args[1], Path.GetFullPath(args[2]));
switch (mode)
{
    case "write":
        var count = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : int.MaxValue;
        await using (var store = await SampleStores.OpenAsync(kind, path))
        {
            for (var i = number; i - number < count; i++)
            {
                await store.SaveAsync(HarnessSamples.Make(i));
                Console.Out.WriteLine(i);
                Console.Out.Flush();
            }
        }

        return 0;
    case "kill":
        await KillRepeatedlyAsync(kind, path, number);
        return 0;
    case "concurrent":
        await WriteConcurrentlyAsync(kind, path, number);
        return 0;
    default:
        Console.Error.WriteLine($"unknown mode \"{mode}\": write, kill or concurrent");
        return 2;
}

static async Task KillRepeatedlyAsync(string kind, string path, int rounds)
{
    var random = new Random(20);
    var next = 0;
    var (acknowledged, lost, unopenable) = (0, 0, 0);
    for (var round = 1; round <= rounds; round++)
    {
        using var writer = Writer.Launch(kind, path, next, count: null);
        // Past the writer's start-up, then a random moment within its stream of commits.
        await writer.WaitForAcknowledgedAsync(1);
        await Task.Delay(random.Next(20, 400));
        writer.Kill();
        var last = await writer.LastAcknowledgedAsync();
        acknowledged = Math.Max(acknowledged, last + 1);
        next = last + 1;
        var (stored, error) = await CountAsync(kind, path);
        var missing = error is null ? Math.Max(0, acknowledged - stored) : acknowledged;
        lost += missing;
        unopenable += error is null ? 0 : 1;
        Console.WriteLine($"round {round}: acknowledged {acknowledged}, stored {stored}, lost {missing}{(error is null ? "" : $", does not open: {error}")}");
        if (error is not null)
        {
            break;
        }
    }

    Console.WriteLine($"{kind}: {rounds} kills, {acknowledged} samples acknowledged, {lost} lost, file failed to open {unopenable} times");
}

static async Task WriteConcurrentlyAsync(string kind, string path, int count)
{
    var stopwatch = Stopwatch.StartNew();
    using var first = Writer.Launch(kind, path, 0, count);
    using var second = Writer.Launch(kind, path, count, count);
    var acknowledged = 0;
    var errors = new List<string>();
    foreach (var writer in new[] { first, second })
    {
        var (exitCode, error) = await writer.WaitForExitAsync();
        acknowledged += await writer.LastAcknowledgedAsync() + 1 - writer.Start;
        if (exitCode != 0)
        {
            errors.Add($"exit {exitCode}: {error}");
        }
    }

    var (stored, openError) = await CountAsync(kind, path);
    Console.WriteLine($"{kind}: two writers of {count} samples each in {stopwatch.Elapsed.TotalSeconds:F1} s: {acknowledged} acknowledged, {stored} stored, " +
        $"{Math.Max(0, acknowledged - stored)} lost, {errors.Count} writers failed{(openError is null ? "" : $", does not open: {openError}")}");
    foreach (var error in errors)
    {
        Console.WriteLine($"  {error}");
    }
}

static async Task<(int Stored, string? Error)> CountAsync(string kind, string path)
{
    try
    {
        await using var store = await SampleStores.OpenAsync(kind, path);
        return (await store.CountAsync(), null);
    }
    catch (Exception error)
    {
        return (0, $"{error.GetType().Name}: {error.Message}");
    }
}

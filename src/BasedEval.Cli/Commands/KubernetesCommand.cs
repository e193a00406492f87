using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using BasedEval.Core.Config;
using BasedEval.Core.Gating;
using BasedEval.Core.Running;
using BasedEval.Core.Storage;
using BasedEval.Core.Storage.Postgres;

namespace BasedEval.Cli.Commands;

/// <summary>
/// `k8s`: writes the Kubernetes manifests that run a comparison as an Indexed Job of shards and then compare the two runs
/// by the ids every shard derives, as `slurm` does for Slurm. Kubernetes starts the pods; the shards meet in the store.
/// </summary>
internal static partial class KubernetesCommand
{
    public const string ConfigMapFile = "configmap.yaml";
    public const string ShardsFile = "shards-job.yaml";
    public const string CompareFile = "compare-job.yaml";

    /// <summary>
    /// Server-side: a client-side apply keeps the whole object in an annotation, which holds at most 256 KiB, and the
    /// ConfigMap may be bigger.
    /// </summary>
    private const string Apply = "kubectl apply --server-side -f";

    /// <summary>What the API server takes in one ConfigMap, data and binaryData together.</summary>
    public const int ConfigMapBytes = 1024 * 1024;

    /// <summary>The most completions of an Indexed Job with backoffLimitPerIndex and no maxFailedIndexes.</summary>
    public const int MaxShards = 100_000;

    public static Command Create()
    {
        var config = CommandSupport.ConfigOption();
        var comparison = new Option<string?>("--comparison") { Description = "Comparison name from evals.yaml; needed when it defines several" };
        var baseline = new Option<string?>("--baseline", "-b") { Description = "Baseline target name (with --candidate, instead of a named comparison)" };
        var candidate = new Option<string?>("--candidate", "-k") { Description = "Candidate target name" };
        var shards = new Option<int>("--shards") { Description = "Shards: the Indexed Job's completions, one pod each running its shard of both models", Required = true };
        var parallelism = new Option<int?>("--parallelism") { Description = "Pods running at once (default: --shards)" };
        var image = new Option<string>("--image") { Description = "Container image with basedeval on its PATH, e.g. ghcr.io/team/basedeval:0.1.0", Required = true };
        var ns = new Option<string?>("--namespace") { Description = "Namespace of every object (default: kubectl's current one)" };
        var storeSecret = new Option<string?>("--store-secret") { Description = "Secret holding the store's address (for `store: env:NAME`) or its password (for a postgres:// store)" };
        var storeSecretKey = new Option<string?>("--store-secret-key") { Description = "The key of that Secret" };
        var keySecret = new Option<string?>("--key-secret") { Description = "Secret whose keys become the shard pods' variables: the targets' API keys, by their api_key_env names" };
        var configMap = new Option<string?>("--config-map") { Description = "Name of the ConfigMap holding evals.yaml and the suites (default: basedeval-COMPARISON-config)" };
        var cpu = new Option<string>("--cpu") { Description = "CPU each pod requests", DefaultValueFactory = _ => "2" };
        var memory = new Option<string>("--memory") { Description = "Memory each pod requests and is limited to", DefaultValueFactory = _ => "4Gi" };
        var limit = new Option<int?>("--limit", "-n") { Description = "Items per suite, a seeded random sample" };
        var folder = new Option<string>("--out") { Description = "Folder the manifests are written to", DefaultValueFactory = _ => "k8s" };
        var command = new Command("k8s", "Write Kubernetes manifests: an Indexed Job of shards, then a Job that compares the two runs")
        {
            config, comparison, baseline, candidate, shards, parallelism, image, ns, storeSecret, storeSecretKey, keySecret, configMap, cpu, memory, limit, folder,
        };
        command.SetAction((parse, cancellationToken) => CommandSupport.GuardAsync(parse, async output =>
        {
            // What needs no evals.yaml is checked first, so a typo costs nothing.
            var (shardCount, podsAtOnce) = Counts(parse.GetValue(shards), parse.GetValue(parallelism), parse.GetValue(limit));

            var secret = parse.GetValue(storeSecret);
            var secretKey = parse.GetValue(storeSecretKey);
            if (secret is null != secretKey is null)
            {
                throw new ConfigException("--store-secret and --store-secret-key go together", "give the Secret's name and the key in it that holds the store's address (or password), or neither");
            }

            var imageReference = KubernetesText.Image(parse.GetValue(image)!);
            var namespaceName = parse.GetValue(ns) is { } n ? KubernetesText.Checked(n, "--namespace", label: true) : null;
            var keys = parse.GetValue(keySecret) is { } k ? KubernetesText.Checked(k, "--key-secret", label: false) : null;
            var configMapName = parse.GetValue(configMap) is { } c ? KubernetesText.Checked(c, "--config-map", label: false) : null;
            if (secret is not null)
            {
                KubernetesText.Checked(secret, "--store-secret", label: false);
                if (!KubernetesText.IsKey(secretKey!))
                {
                    throw new ConfigException($"--store-secret-key is `{secretKey}`, which is not a Secret key", "write letters, digits, '-', '_' and '.', e.g. `url`");
                }
            }

            var cpuRequest = Quantity(parse.GetValue(cpu)!, "--cpu", "`2` or `500m`");
            var memoryRequest = Quantity(parse.GetValue(memory)!, "--memory", "`4Gi` or `512Mi`");

            var configPath = Path.GetFullPath(parse.GetValue(config)!);
            var evalConfig = ConfigLoader.Load(configPath);
            if (parse.GetValue(comparison) is { } name && !evalConfig.Comparisons.ContainsKey(name))
            {
                throw new ConfigException(
                    $"--comparison is `{name}`, which {configPath} does not define",
                    evalConfig.Comparisons.Count == 0 ? "define it under `comparisons:`, or pass --baseline and --candidate" : $"use one of: {string.Join(", ", evalConfig.Comparisons.Keys)}");
            }

            var store = Store(evalConfig, secret, secretKey);
            var request = new CompareRequest(parse.GetValue(comparison), parse.GetValue(baseline), parse.GetValue(candidate), parse.GetValue(limit));
            var skipped = new SkippedSuites();
            var plan = Evaluation.PlanShards(evalConfig, request, shardCount, skipped);
            if (skipped.First is { } skip)
            {
                // The pods may run it, and then they derive other run ids than the comparison's Job is given.
                throw new ConfigException(
                    $"suite `{skip.Suite}` cannot be planned on this machine ({skip.Reason}), so the run ids the pods derive cannot be computed here",
                    "run `basedeval k8s` where the suite runs (in the image, for one), or leave the suite out of the comparison");
            }

            var targets = new[] { plan.Baseline, plan.Candidate }.Select(t => evalConfig.Targets[t]).ToList();
            var keyVariables = targets.Select(t => t.ApiKeyEnv).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
            if (keyVariables.Count > 0 && keys is null)
            {
                var first = targets.First(t => t.ApiKeyEnv is not null);
                throw new ConfigException(
                    $"target `{first.Name}` reads its API key from ${first.ApiKeyEnv}, which the pods would not have",
                    $"pass --key-secret NAME, a Secret with the key{(keyVariables.Count == 1 ? "" : "s")} {string.Join(", ", keyVariables)} (kubectl create secret generic NAME --from-literal={keyVariables[0]}=…)");
            }

            var job = new KubernetesJob(plan, CommandSupport.ComparisonSelection(request, plan), request.Limit, imageReference, Files(evalConfig, plan))
            {
                Parallelism = podsAtOnce,
                Namespace = namespaceName,
                Store = store,
                KeySecret = keys,
                Cpu = cpuRequest,
                Memory = memoryRequest,
            };
            if (configMapName is not null)
            {
                job = job with { ConfigMapName = configMapName };
            }

            await WriteAsync(job, parse.GetValue(folder)!, output, Requirements(job, evalConfig, keyVariables, targets), cancellationToken);
            return ExitCodes.Pass;
        }));
        return command;
    }

    private static (int Shards, int Parallelism) Counts(int shards, int? parallelism, int? limit)
    {
        if (shards is < 1 or > MaxShards)
        {
            throw new ConfigException($"--shards is {shards}", shards < 1 ? "give 1 or more shards, one pod each" : $"give at most {MaxShards}, what an Indexed Job with a retry limit per index takes");
        }

        var podsAtOnce = parallelism ?? shards;
        if (podsAtOnce < 1 || podsAtOnce > shards)
        {
            throw new ConfigException(
                podsAtOnce < 1 ? $"--parallelism is {podsAtOnce}" : $"--parallelism is {podsAtOnce} but --shards is {shards}: no more than {shards} pods have a shard to run",
                $"give --parallelism from 1 to {shards}, or leave it out to run every shard at once");
        }

        return limit < 1
            ? throw new ConfigException($"--limit is {limit}", "give 1 or more items per suite, or leave it out to run every item")
            : (shards, podsAtOnce);
    }

    /// <summary>The three manifests, then what was written and the kubectl commands that apply them in order.</summary>
    private static async Task WriteAsync(KubernetesJob job, string folder, TextWriter output, IEnumerable<string> requirements, CancellationToken cancellationToken)
    {
        var plan = job.Plan;
        Directory.CreateDirectory(folder);
        var inNamespace = job.Namespace is null ? string.Empty : $" -n {job.Namespace}";
        var waitForShards = $"kubectl wait --for=condition=complete --timeout=24h job/{job.ShardsName}{inNamespace}";
        var paths = new[] { ConfigMapFile, ShardsFile, CompareFile }.Select(f => Path.Combine(folder, f)).ToArray();
        await File.WriteAllTextAsync(paths[0], KubernetesText.Yaml(KubernetesManifests.ConfigMap(job), ConfigMapComment(job)), cancellationToken);
        await File.WriteAllTextAsync(paths[1], KubernetesText.Yaml(KubernetesManifests.Shards(job), ShardsComment(job)), cancellationToken);
        await File.WriteAllTextAsync(paths[2], KubernetesText.Yaml(KubernetesManifests.Compare(job), CompareComment(job, waitForShards)), cancellationToken);

        await output.WriteLineAsync($"comparison {plan.Name}: {plan.Baseline} then {plan.Candidate} over {string.Join(", ", plan.Suites)} in {plan.ShardCount} shards, {job.Parallelism} pods at a time");
        await output.WriteLineAsync($"  baseline run  {plan.BaselineRunId}");
        await output.WriteLineAsync($"  candidate run {plan.CandidateRunId}");
        await output.WriteLineAsync($"wrote {paths[0]} (ConfigMap {job.ConfigMapName}: {job.Files.Count} files, {Kib(job.Files.Sum(f => (long)f.Content.Length))} KiB)");
        await output.WriteLineAsync($"wrote {paths[1]} (Indexed Job {job.ShardsName})");
        await output.WriteLineAsync($"wrote {paths[2]} (Job {job.CompareName})");
        await output.WriteLineAsync("apply them in order, the comparison only once every shard has completed:");
        await output.WriteLineAsync($"  {Apply} {SlurmScripts.Quote(paths[0])} -f {SlurmScripts.Quote(paths[1])}");
        await output.WriteLineAsync($"  {waitForShards} && {Apply} {SlurmScripts.Quote(paths[2])}");
        await output.WriteLineAsync($"  kubectl logs -f --pod-running-timeout=10m job/{job.CompareName}{inNamespace}   # the verdict; the Job completes on PASS and fails on FAIL or INCONCLUSIVE");
        await output.WriteLineAsync($"  (to run them again, `kubectl delete job {job.ShardsName} {job.CompareName}{inNamespace}` first: a Job's pods cannot be changed)");
        foreach (var line in requirements)
        {
            await output.WriteLineAsync(line);
        }
    }

    /// <summary>The Secret key the pods read the store from; a store each pod would hold alone is refused.</summary>
    private static StoreSecret? Store(EvalConfig config, string? secret, string? key)
    {
        var store = config.StorePath;
        if (store.StartsWith(ResultStores.EnvironmentPrefix, StringComparison.Ordinal))
        {
            var variable = store[ResultStores.EnvironmentPrefix.Length..];
            if (!KubernetesText.IsVariable(variable))
            {
                throw new ConfigException($"`store: {store}` in {config.SourcePath} names `{variable}`, which a pod cannot have as an environment variable", "use letters, digits and '_', e.g. `store: env:BASEDEVAL_STORE`");
            }

            return secret is null
                ? throw new ConfigException(
                    $"`store: {store}` in {config.SourcePath} reads the store's address from ${variable}, which the pods would not have",
                    "pass --store-secret NAME --store-secret-key KEY, the Secret that holds it (kubectl create secret generic NAME --from-literal=KEY=postgres://user:password@host:5432/database)")
                : new StoreSecret(secret, key!, variable);
        }

        if (PostgresAddress.IsPostgres(store))
        {
            return secret is null ? null : new StoreSecret(secret, key!, "PGPASSWORD");
        }

        throw new ConfigException(
            $"`store:` in {config.SourcePath} is the SQLite file {store}: each pod would write its own, and the comparison's pod would find no runs",
            "give the pods one PostgreSQL store: write `store: env:BASEDEVAL_STORE` and pass --store-secret NAME --store-secret-key KEY, a Secret holding postgres://user:password@host:5432/database");
    }

    /// <summary>
    /// evals.yaml, every suite file it names (the config is read whole in each pod) and the data of the comparison's suites,
    /// each with its path under evals.yaml's folder, which is how the pods find them from the workspace.
    /// </summary>
    internal static List<ConfigFile> Files(EvalConfig config, ShardedComparison plan)
    {
        var root = Path.GetDirectoryName(config.SourcePath)!;
        var wanted = new List<(string Path, string? Suite)> { (config.SourcePath, null) };
        wanted.AddRange(config.Suites.Values.Where(s => s.DefinitionFile is not null).Select(s => (s.DefinitionFile!, (string?)s.Name)));
        foreach (var suite in plan.Suites.Select(s => config.Suites[s]))
        {
            IEnumerable<string> data = Directory.Exists(suite.Path) ? Directory.EnumerateFiles(suite.Path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal) : [suite.Path];
            wanted.AddRange(data.Select(p => (p, (string?)suite.Name)));
        }

        var files = new List<ConfigFile>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        wanted = [.. wanted.DistinctBy(w => Path.GetFullPath(w.Path))];
        var bytes = wanted.Sum(w => new FileInfo(w.Path).Length);
        if (bytes > ConfigMapBytes)
        {
            throw new ConfigException(
                $"evals.yaml and the files of suites {string.Join(", ", plan.Suites)} come to {Kib(bytes)} KiB, over the {ConfigMapBytes / 1024} KiB one ConfigMap holds",
                "point the suites at smaller files (a sample of their items), or split the comparison into several with fewer suites each");
        }

        foreach (var (path, suite) in wanted)
        {
            var relative = suite is null ? Path.GetFileName(path) : Path.GetRelativePath(root, path);
            if (relative.Split(Path.DirectorySeparatorChar)[0] == ".." || Path.IsPathRooted(relative))
            {
                throw new ConfigException(
                    $"suite `{suite}` reads {path}, outside {root}, the folder of evals.yaml that the pods are given",
                    "move the suite's files under that folder and point its `path:` (or `file:`) there");
            }

            relative = relative.Replace(Path.DirectorySeparatorChar, '/');
            var key = KubernetesText.KeyFor(relative);
            for (var n = 2; !keys.Add(key); n++)
            {
                key = KubernetesText.KeyFor($"{relative}-{n.ToString(CultureInfo.InvariantCulture)}");
            }

            files.Add(new ConfigFile(key, relative, File.ReadAllBytes(path)));
        }

        return files;
    }

    /// <summary>What the cluster must hold that the manifests only name, and what the pods cannot make themselves.</summary>
    private static IEnumerable<string> Requirements(KubernetesJob job, EvalConfig config, List<string> keyVariables, List<TargetConfig> targets)
    {
        if (job.Store is { Variable: "PGPASSWORD" } password)
        {
            yield return $"the Secret {password.Name} must hold the key {password.Key}: the password of {config.StorePath}";
        }
        else if (job.Store is { } store)
        {
            yield return $"the Secret {store.Name} must hold the key {store.Key}: the store's address, for `store: env:{store.Variable}`";
        }
        else
        {
            yield return $"note: the pods get no $PGPASSWORD for {config.StorePath}; pass --store-secret and --store-secret-key unless the server asks for none";
        }

        if (job.KeySecret is { } keys)
        {
            yield return keyVariables.Count > 0
                ? $"the Secret {keys} is given whole to the shard pods and must hold the key{(keyVariables.Count == 1 ? "" : "s")} {string.Join(", ", keyVariables)}"
                : $"the Secret {keys} is given whole to the shard pods";
        }

        foreach (var target in targets.Where(t => t.Local is { Build: null }))
        {
            var relative = Path.GetRelativePath(Path.GetDirectoryName(config.SourcePath)!, target.Local!.ModelPath);
            var inPod = relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? target.Local.ModelPath : $"{KubernetesManifests.Workspace}/{relative.Replace(Path.DirectorySeparatorChar, '/')}";
            yield return $"note: target {target.Name} loads {target.Local.ModelPath}, which no manifest carries: the pods need it at {inPod} (an absolute `model_path` that the image holds)";
        }

        if (KubernetesText.IsFloating(job.Image))
        {
            yield return $"note: {job.Image} may name another build tomorrow; pods that start later would run it. Pin a version tag or, better, a digest (@sha256:…) so every shard plans alike";
        }
    }

    private static string Quantity(string value, string option, string example)
    {
        var match = QuantityForm().Match(value);
        return match.Success && match.Groups["number"].Value.Any(ch => ch is >= '1' and <= '9')
            ? value
            : throw new ConfigException($"{option} is `{value}`, which is not a Kubernetes quantity above 0", $"write a number with an optional unit and no space, e.g. {example}");
    }

    private static string Kib(long bytes) => (bytes / 1024.0).ToString("0.#", CultureInfo.InvariantCulture);

    private static string[] ConfigMapComment(KubernetesJob job) =>
    [
        $"Written by `basedeval k8s`: evals.yaml and the suite files of comparison `{job.Plan.Name}`, mounted into every pod's",
        $"{KubernetesManifests.Workspace} as they lie beside evals.yaml. The run ids in the Jobs were derived from exactly these files:",
        "write the manifests again after changing any of them. Apply it before the Jobs.",
    ];

    private static string[] ShardsComment(KubernetesJob job)
    {
        var plan = job.Plan;
        return
        [
            $"Written by `basedeval k8s`. Indexed Job: pod I runs shard I/{plan.ShardCount} of comparison `{plan.Name}`: the baseline `{plan.Baseline}`",
            $"(init container `baseline`), then the candidate `{plan.Candidate}` (container `candidate`). Every pod derives the same two run ids",
            "without talking to the others, and the store is where they meet:",
            $"  baseline  {plan.BaselineRunId}",
            $"  candidate {plan.CandidateRunId}",
            $"A failed shard is tried again alone, up to {KubernetesManifests.RetriesPerShard} times (backoffLimitPerIndex: Kubernetes 1.29 or later), and resumes",
            "its own part; exit code 2 (bad input) fails the whole Job at once. Apply it after configmap.yaml.",
        ];
    }

    private static string[] CompareComment(KubernetesJob job, string waitForShards) =>
    [
        $"Written by `basedeval k8s`. Compares the two runs of comparison `{job.Plan.Name}` by id. Apply it only once the shards",
        $"Job has completed:",
        $"  {waitForShards} && {Apply} compare-job.yaml",
        "Its exit code is the verdict's: 0 PASS (the Job completes), 1 FAIL or 3 INCONCLUSIVE (the Job fails; 2 is bad input, 4 a",
        $"run error, tried again). `kubectl logs job/{job.CompareName}` prints the verdict; the comparison is stored, and",
        "`basedeval report ID` writes its reports again from the store.",
    ];

    [GeneratedRegex(@"^(?<number>\+?([0-9]+(\.[0-9]*)?|\.[0-9]+))(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][-+]?[0-9]+)?$")]
    private static partial Regex QuantityForm();

    /// <summary>Remembers the first suite this machine cannot plan; everything else a plan reports is not this verb's.</summary>
    private sealed class SkippedSuites : IRunObserver
    {
        public (string Suite, string Reason)? First { get; private set; }

        public void RunStarted(RunCounters counters)
        {
        }

        public void RetryScheduled(string targetName, string itemId, int attempt, string reason, TimeSpan delay)
        {
        }

        public void RunFinished(RunCounters counters)
        {
        }

        public void SuiteSkipped(string suite, string reason) => First ??= (suite, reason);
    }
}

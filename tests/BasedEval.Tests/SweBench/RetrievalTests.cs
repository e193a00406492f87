using BasedEval.Core.SweBench;
using FsCheck;
using FsCheck.Fluent;

namespace BasedEval.Tests.SweBench;

/// <summary>The BM25 setting: the code tokenizer, the ranking function, and retrieval from a repository at base_commit.</summary>
public sealed class RetrievalTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("basedeval-retrieval-").FullName;

    public void Dispose() => Cleanup.DeleteFolder(_root);

    [Theory]
    [InlineData("parseHTTPHeader_v2", "parse http header v2 parsehttpheader_v2")]
    [InlineData("def rectangle_area(width):", "def rectangle area rectangle_area width")]
    [InlineData("__init__ x a_b", "init a_b")]
    [InlineData("HTTPServer.serve_forever()", "http server httpserver serve forever serve_forever")]
    [InlineData("utf8Decode Base64", "utf8 decode utf8decode base64")]
    [InlineData("", "")]
    public void Identifiers_count_whole_and_split_at_underscores_case_changes_and_digits(string text, string terms) =>
        Assert.Equal(terms.Split(' ', StringSplitOptions.RemoveEmptyEntries), CodeTokenizer.Tokenize(text));

    [Fact]
    public void Scores_follow_the_bm25_formula_on_a_worked_example()
    {
        // Three documents of 2, 4 and 2 terms (avgdl 8/3); "area" is in two of them.
        var index = new Bm25Index([("a", "area width"), ("b", "area area volume depth"), ("c", "colour name")]);

        var hits = index.Search("area");

        var idf = Math.Log(1 + ((3 - 2 + 0.5) / (2 + 0.5)));
        double Expected(int tf, int length) => idf * tf * 2.2 / (tf + (1.2 * (0.25 + (0.75 * length / (8.0 / 3)))));
        Assert.Equal(["b", "a"], hits.Select(h => h.Id));
        Assert.Equal(Expected(2, 4), hits[0].Score, 12);
        Assert.Equal(Expected(1, 2), hits[1].Score, 12);
        Assert.Empty(index.Search("nothing here matches"));
    }

    [Fact]
    public void Hits_are_positive_sorted_deterministic_and_independent_of_document_and_query_order()
    {
        var words = Gen.Elements("area", "width", "parse_header", "HttpClient", "x", "volume", "total_sum", "Reader");
        var document = words.ListOf().Select(w => string.Join(' ', w));
        var input = Gen.Zip(document.NonEmptyListOf(), words.NonEmptyListOf());
        Prop.ForAll(input.ToArbitrary(), pair =>
        {
            var (texts, query) = pair;
            var documents = texts.Select((text, i) => ($"d{i}", text)).ToList();
            var hits = new Bm25Index(documents).Search(string.Join(' ', query));
            var reversed = new Bm25Index(Enumerable.Reverse(documents)).Search(string.Join(' ', Enumerable.Reverse(query).Concat(query)));

            Assert.All(hits, h => Assert.True(h.Score > 0));
            Assert.Equal(hits.OrderByDescending(h => h.Score).Select(h => h.Score), hits.Select(h => h.Score));
            Assert.Equal(hits.ToDictionary(h => h.Id, h => Math.Round(h.Score, 9)), reversed.ToDictionary(h => h.Id, h => Math.Round(h.Score, 9)));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void One_more_occurrence_of_a_single_query_term_raises_a_documents_score()
    {
        var filler = Gen.Elements("alpha", "beta", "gamma", "delta").ListOf().Select(w => string.Join(' ', w));
        var input = Gen.Zip(Gen.Zip(filler, Gen.Choose(0, 5)), filler.NonEmptyListOf());
        Prop.ForAll(input.ToArbitrary(), generated =>
        {
            var ((text, occurrences), others) = generated;
            var before = text + string.Concat(Enumerable.Repeat(" needle", occurrences));
            var index = new Bm25Index([("before", before), ("after", before + " needle"), .. others.Select((o, i) => ($"o{i}", o))]);
            var scores = index.Search("needle").ToDictionary(h => h.Id, h => h.Score);

            Assert.True(scores["after"] > scores.GetValueOrDefault("before"));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public async Task In_a_small_repository_the_file_with_the_bug_ranks_first_and_tests_and_other_commits_are_left_out()
    {
        var (repository, baseCommit) = CreateRepository();
        var instance = new SweBenchInstance(
            "acme__shapes-1", "acme/shapes", baseCommit, string.Empty, string.Empty,
            "rectangle_area(2, 3) returns 5: the area of a rectangle should multiply the width by the height, not add them.",
            string.Empty, "1.0", [], [], baseCommit, string.Empty);
        var snapshot = await GitSnapshot.OpenAsync(repository, baseCommit, TestContext.Current.CancellationToken);

        var files = await PatchContext.SelectAsync(instance, snapshot, ContextSetting.Bm25, PatchContext.DefaultTokenBudget, TestContext.Current.CancellationToken);
        var tight = await PatchContext.SelectAsync(instance, snapshot, ContextSetting.Bm25, 60, TestContext.Current.CancellationToken);

        Assert.Equal("shapes/area.py", files[0].Path);
        Assert.Contains("return width + height", files[0].Text, StringComparison.Ordinal);
        Assert.DoesNotContain(files, f => f.Path.StartsWith("tests/", StringComparison.Ordinal) || !f.Path.EndsWith(".py", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => f.Path == "shapes/later.py");
        Assert.Equal(["shapes/area.py"], tight.Select(f => f.Path));
        Assert.Contains("[start of shapes/area.py]\n1 def rectangle_area(width, height):\n", PatchPrompt.Build(instance, ContextSetting.Bm25, files), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_commit_the_clone_lacks_or_a_missing_clone_is_named_with_a_fix()
    {
        var (repository, _) = CreateRepository();

        var error = await Assert.ThrowsAsync<Core.Config.ConfigException>(() => GitSnapshot.OpenAsync(repository, new string('0', 40), TestContext.Current.CancellationToken));

        Assert.Contains("has no commit 0000", error.Message, StringComparison.Ordinal);
        Assert.Null(GitSnapshot.Locate(_root, "acme/other"));
        Assert.Equal(repository, GitSnapshot.Locate(_root, "acme/shapes"));
    }

    /// <summary>Modules about areas, perimeters and file reading; a test file that names the buggy function more often than the module does; a binary file; and a later commit.</summary>
    private (string Repository, string BaseCommit) CreateRepository()
    {
        Prerequisite.Require(Core.Scoring.Execution.ChildProcess.FindOnPath("git") is not null, "git was not found on PATH");
        var repository = Path.Combine(_root, "acme__shapes");
        Directory.CreateDirectory(Path.Combine(repository, "shapes"));
        Directory.CreateDirectory(Path.Combine(repository, "tests"));
        SyntheticSweBenchRepository.Git(repository, "init", "--quiet");
        File.WriteAllText(Path.Combine(repository, "shapes", "area.py"), "def rectangle_area(width, height):\n    \"\"\"Area of a rectangle.\"\"\"\n    return width + height\n\n\ndef square_area(side):\n    return side * side\n");
        File.WriteAllText(Path.Combine(repository, "shapes", "perimeter.py"), "def rectangle_perimeter(width, height):\n    return 2 * (width + height)\n");
        File.WriteAllText(Path.Combine(repository, "shapes", "reader.py"), "import json\n\n\ndef read_shapes(path):\n    with open(path) as handle:\n        return json.load(handle)\n");
        File.WriteAllText(Path.Combine(repository, "shapes", "__init__.py"), "from .area import rectangle_area, square_area\n");
        File.WriteAllText(Path.Combine(repository, "README.md"), "The area of a rectangle: rectangle_area(width, height).\n");
        File.WriteAllText(Path.Combine(repository, "tests", "test_area.py"), "from shapes.area import rectangle_area\n\n\ndef test_rectangle_area():\n    assert rectangle_area(2, 3) == 6  # rectangle area width height\n");
        File.WriteAllBytes(Path.Combine(repository, "shapes", "logo.py"), [0x72, 0x65, 0x63, 0x00, 0x01]);
        SyntheticSweBenchRepository.Git(repository, "add", "-A");
        SyntheticSweBenchRepository.Git(repository, "commit", "--quiet", "-m", "shapes");
        var baseCommit = SyntheticSweBenchRepository.Git(repository, "rev-parse", "HEAD").Trim();
        File.WriteAllText(Path.Combine(repository, "shapes", "later.py"), "def rectangle_area_of_width_and_height(): pass  # rectangle area width height\n");
        SyntheticSweBenchRepository.Git(repository, "add", "-A");
        SyntheticSweBenchRepository.Git(repository, "commit", "--quiet", "-m", "later");
        return (repository, baseCommit);
    }
}

using System.Globalization;
using System.Text;
using BasedEval.Core.Config;
using FsCheck;
using FsCheck.Fluent;

namespace BasedEval.Tests.Config;

/// <summary>Margins in points and accuracies as proportions, read the same way everywhere, with the other unit refused.</summary>
public class QuantitiesTests
{
    private const string Config = """
        version: 1
        targets:
          a: { provider: openai, model: a, base_url: http://127.0.0.1:9/v1 }
          b: { provider: openai, model: b, base_url: http://127.0.0.1:9/v1 }
        suites:
          mmlu: { format: mmlu, path: suites/mmlu-sample }
        comparisons:
          swap:
            baseline: a
            candidate: b
            suites: [mmlu]
            gates:
              quality: QUALITY
        """;

    private static Exception Refuse(string problem, string fix) => new ConfigException(problem, fix);

    private static string Text(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    [Fact]
    public void A_margin_reads_the_same_bare_and_with_each_suffix()
    {
        Prop.ForAll(Gen.Choose(50, 9_999).Select(n => n / 100.0).ToArbitrary(), points =>
        {
            var bare = Quantities.MarginPoints(Text(points), "m", Refuse);
            return new[] { "pt", " pt", "pts", "points", "%", " %" }.All(suffix => Quantities.MarginPoints(Text(points) + suffix, "m", Refuse) == bare) && bare == points;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void A_bare_margin_under_half_a_point_is_refused_with_the_reading_it_probably_meant()
    {
        Prop.ForAll(Gen.Choose(1, 49).Select(n => n / 100.0).ToArbitrary(), fraction =>
        {
            var error = Assert.Throws<ConfigException>(() => Quantities.MarginPoints(Text(fraction), "--margin", Refuse));
            var meant = Math.Round(fraction * 100, 6).ToString("0.######", CultureInfo.InvariantCulture);
            return error.Problem.Contains("percentage points", StringComparison.Ordinal) && error.Fix.Contains($"`{meant}`", StringComparison.Ordinal)
                && Quantities.MarginPoints(Text(fraction) + "pt", "--margin", Refuse) == fraction;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void A_proportion_reads_the_same_as_a_fraction_and_as_a_percentage()
    {
        Prop.ForAll(Gen.Choose(0, 10_000).ToArbitrary(), basisPoints =>
        {
            var fraction = basisPoints / 10_000.0;
            var percent = basisPoints / 100.0;
            return Math.Abs(Quantities.Proportion(Text(fraction), "p", Refuse) - Quantities.Proportion(Text(percent) + "%", "p", Refuse)) < 1e-12;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void A_bare_proportion_above_one_is_refused_and_the_fix_gives_both_spellings()
    {
        Prop.ForAll(Gen.Choose(101, 10_000).Select(n => n / 100.0).ToArbitrary(), percent =>
        {
            var error = Assert.Throws<ConfigException>(() => Quantities.Proportion(Text(percent), "--min-accuracy", Refuse));
            var asPercent = Math.Round(percent, 6).ToString("0.######", CultureInfo.InvariantCulture);
            return error.Problem.StartsWith("--min-accuracy is ", StringComparison.Ordinal) && error.Fix.Contains($"`{asPercent}%`", StringComparison.Ordinal);
        }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("2pp")]
    [InlineData("")]
    [InlineData("NaN")]
    public void Text_that_is_no_number_names_the_value(string text)
    {
        var error = Assert.Throws<ConfigException>(() => Quantities.MarginPoints(text, "--margin", Refuse));
        Assert.Contains($"found `{text}`", error.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ margin: 2, confidence: 0.95 }", 2.0, 0.95)]
    [InlineData("{ margin: 2%, confidence: 95% }", 2.0, 0.95)]
    [InlineData("{ margin: 0.3pt, confidence: 90% }", 0.3, 0.9)]
    public void Evals_yaml_takes_the_same_spellings(string quality, double margin, double confidence)
    {
        var gate = ConfigLoader.Parse("/work/evals.yaml", Encoding.UTF8.GetBytes(Config.Replace("QUALITY", quality, StringComparison.Ordinal))).Comparisons["swap"].Gates.Quality!;

        Assert.Equal(margin, gate.MarginPoints, 12);
        Assert.Equal(confidence, gate.Confidence, 12);
    }

    [Theory]
    [InlineData("{ margin: 0.02 }", "`gates.quality.margin` of comparison `swap` is 0.02", "`2`")]
    [InlineData("{ margin: 2, confidence: 95 }", "`gates.quality.confidence` of comparison `swap` is 95", "`95%`")]
    public void Evals_yaml_refuses_the_other_unit_at_its_line(string quality, string problem, string fix)
    {
        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("/work/evals.yaml", Encoding.UTF8.GetBytes(Config.Replace("QUALITY", quality, StringComparison.Ordinal))));

        Assert.Equal(13, error.Line);
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
        Assert.Contains(fix, error.Fix, StringComparison.Ordinal);
    }
}

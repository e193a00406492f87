using System.CommandLine;
using System.Globalization;
using BasedEval.Core.Config;
using BasedEval.Core.Gating;
using BasedEval.Core.Statistics;

namespace BasedEval.Cli.Commands;

/// <summary>How many paired items a non-inferiority decision needs, asked before spending anything on a run.</summary>
internal static class PlanCommand
{
    public static Command Create()
    {
        var accuracy = new Option<string>("--baseline-accuracy", "-p") { Description = "Expected baseline accuracy, a proportion: 0.8 or 80%", Required = true };
        var margin = new Option<string>("--margin", "-m") { Description = "Non-inferiority margin in percentage points: 2, 2pt or 2%", DefaultValueFactory = _ => "2" };
        var difference = new Option<string>("--expected-difference") { Description = "Expected true difference candidate − baseline, in points: -1 or -1pt", DefaultValueFactory = _ => "0" };
        var discordance = new Option<string?>("--discordance") { Description = "Expected share of items on which the two models disagree (0.2 or 20%); derived from the accuracy when omitted" };
        var confidence = new Option<string>("--confidence") { Description = "Two-sided confidence level: 0.95 or 95%", DefaultValueFactory = _ => "0.95" };
        var power = new Option<string>("--power") { Description = "Probability of reaching PASS when the models are as expected: 0.8 or 80%", DefaultValueFactory = _ => "0.8" };
        var command = new Command("plan", "Paired items needed for a quality gate to decide") { accuracy, margin, difference, discordance, confidence, power };
        command.SetAction((parse, _) => CommandSupport.GuardAsync(parse, async output =>
        {
            var p = StrictProportion(parse, accuracy);
            var m = Quantities.MarginPoints(parse.GetValue(margin)!, "--margin", CommandSupport.OptionError);
            var d = Quantities.DifferencePoints(parse.GetValue(difference)!, "--expected-difference", CommandSupport.OptionError);
            var share = parse.GetValue(discordance) is { } text ? Quantities.Proportion(text, "--discordance", CommandSupport.OptionError) : (double?)null;
            var level = StrictProportion(parse, confidence);
            var wanted = StrictProportion(parse, power);
            int n;
            try
            {
                n = SampleSize.PlanPairedNonInferiority(p, m / 100, d / 100, share, level, wanted);
            }
            catch (ArgumentOutOfRangeException e)
            {
                // The figures are each valid but do not fit together (a loss at or beyond the margin, an impossible discordance).
                var reason = e.Message.Split(" (Parameter", 2)[0];
                throw new ConfigException($"these figures cannot be planned: {reason}", $"change --{Flag(e.ParamName)} or the figures it depends on");
            }

            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{n} paired items give {wanted * 100:0.#}% power to show non-inferiority within {m} points (candidate no more than {m} points below the baseline) at {level * 100:0.#}% confidence (baseline accuracy {p * 100:0.0}%)."));
            return ExitCodes.Pass;
        }));
        return command;
    }

    private static string Flag(string? parameter) => parameter switch
    {
        "expectedDifference" => "expected-difference",
        "discordance" => "discordance",
        "baselineAccuracy" => "baseline-accuracy",
        _ => "margin",
    };

    private static double StrictProportion(ParseResult parse, Option<string> option)
    {
        var value = CommandSupport.Proportion(parse, option);
        return value is > 0 and < 1
            ? value
            : throw new ConfigException($"{option.Name} is {parse.GetValue(option)}", "give a proportion strictly between 0 and 1, such as 0.8 or 80%");
    }
}

using System.Globalization;

namespace BasedEval.Tests.Reporting;

/// <summary>
/// Makes a culture that writes decimals with a comma current until disposed. The projects run with invariant
/// globalization, where named cultures such as de-DE are unavailable; a clone of the invariant culture with German
/// separators exercises the same formatting paths.
/// </summary>
internal sealed class CommaCulture : IDisposable
{
    private readonly CultureInfo previous = CultureInfo.CurrentCulture;

    public CommaCulture()
    {
        Culture = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        Culture.NumberFormat.NumberDecimalSeparator = ",";
        Culture.NumberFormat.NumberGroupSeparator = ".";
        CultureInfo.CurrentCulture = Culture;
    }

    public CultureInfo Culture { get; }

    public void Dispose() => CultureInfo.CurrentCulture = previous;
}

using System.Text;

namespace BasedEval.Core.Reporting;

/// <summary>
/// The frame every HTML report shares. The content security policy forbids scripts and every request, so even a mistake
/// in escaping could not run code or reach the network; system fonts only, so nothing is fetched to draw text.
/// </summary>
internal static class HtmlPage
{
    private const string Styles = """
        :root { color-scheme: light; --text: #1f2328; --muted: #57606a; --line: #d0d7de; --soft: #f6f8fa; --base: #0b5cad; --cand: #b34700;
          --pass: #116329; --pass-bg: #dafbe1; --fail: #a40e26; --fail-bg: #ffebe9; --inc: #7d4e00; --inc-bg: #fff8c5; }
        * { box-sizing: border-box; }
        body { margin: 0 auto; max-width: 1240px; padding: 24px 32px 48px; color: var(--text); background: #ffffff;
          font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", "DejaVu Sans", Arial, sans-serif; }
        h1 { font-size: 28px; margin: 4px 0 16px; line-height: 1.25; }
        h2 { font-size: 20px; margin: 36px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
        h3 { font-size: 16px; margin: 20px 0 8px; }
        .eyebrow, .small, figcaption, .note { color: var(--muted); font-size: 13px; }
        .eyebrow { margin: 0; text-transform: uppercase; letter-spacing: .04em; }
        .base { color: var(--base); } .cand { color: var(--cand); }
        .banner { border: 1px solid var(--line); border-left: 10px solid; border-radius: 8px; padding: 16px 22px; }
        .banner.pass { background: var(--pass-bg); border-left-color: var(--pass); }
        .banner.fail { background: var(--fail-bg); border-left-color: var(--fail); }
        .banner.inconclusive { background: var(--inc-bg); border-left-color: var(--inc); }
        .verdict { font-size: 34px; font-weight: 800; letter-spacing: .03em; margin: 0; }
        .pass .verdict { color: var(--pass); } .fail .verdict { color: var(--fail); } .inconclusive .verdict { color: var(--inc); }
        .headline { font-size: 18px; font-weight: 600; margin: 4px 0 8px; }
        .reasons { margin: 0 0 8px; padding-left: 20px; }
        .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 700; border: 1px solid; }
        .badge.pass { color: var(--pass); background: var(--pass-bg); } .badge.fail { color: var(--fail); background: var(--fail-bg); }
        .badge.inconclusive { color: var(--inc); background: var(--inc-bg); }
        .cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 14px; margin: 20px 0 8px; }
        .card { border: 1px solid var(--line); border-top: 6px solid var(--muted); border-radius: 8px; padding: 12px 16px; background: #ffffff; }
        .card.pass { border-top-color: var(--pass); } .card.fail { border-top-color: var(--fail); } .card.inconclusive { border-top-color: var(--inc); }
        .card p { margin: 0; } .card .label { font-size: 13px; font-weight: 600; color: var(--muted); }
        .card .value { font-size: 30px; font-weight: 750; font-variant-numeric: tabular-nums; margin: 2px 0; }
        .card .detail { font-size: 14px; }
        table { border-collapse: collapse; width: 100%; margin: 8px 0 12px; font-size: 14px; font-variant-numeric: tabular-nums; }
        caption { text-align: left; font-weight: 600; padding: 4px 0; }
        th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
        thead th { background: var(--soft); font-weight: 600; }
        .num { text-align: right; white-space: nowrap; }
        .gates { background: rgba(255,255,255,.7); margin-top: 12px; }
        figure { margin: 8px 0 16px; }
        .chart { max-width: 100%; height: auto; display: block; }
        .split { display: grid; grid-template-columns: minmax(0, 560px) 1fr; gap: 24px; align-items: start; }
        .grid3 { display: grid; grid-template-columns: repeat(3, 1fr); gap: 16px; }
        .flip { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; margin: 10px 0; break-inside: avoid; }
        .flip-head { margin: 0 0 6px; }
        .pair { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
        .who { margin: 0 0 4px; font-weight: 600; font-size: 13px; }
        pre { margin: 0; padding: 8px 10px; background: var(--soft); border: 1px solid var(--line); border-radius: 6px; max-height: 16em; overflow: auto;
          white-space: pre-wrap; overflow-wrap: anywhere; font: 13px/1.45 ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace; }
        code { font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace; font-size: 13px; }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; font-size: 14px; }
        dt { font-weight: 600; } dd { margin: 0; overflow-wrap: anywhere; }
        @media (max-width: 900px) { .cards { grid-template-columns: repeat(2, 1fr); } .grid3, .split, .pair { grid-template-columns: 1fr; } }
        @media print {
          @page { margin: 14mm; }
          body { max-width: none; padding: 0; font-size: 11pt; }
          * { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
          section, figure, .card, table { break-inside: avoid; }
          .flips, .flip { break-inside: auto; }
          h2 { break-after: avoid; }
          pre { max-height: none; overflow: visible; }
          .cards { grid-template-columns: repeat(4, 1fr); }
        }
        """;

    public static void Open(StringBuilder page, string title)
    {
        page.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"color-scheme\" content=\"light\">\n")
            .Append("<title>").Append(Html.Encode(title)).Append("</title>\n<style>\n").Append(Styles).Append("\n</style>\n</head>\n<body>\n<main>\n");
    }

    public static void Close(StringBuilder page) => page.Append("</main>\n</body>\n</html>\n");
}

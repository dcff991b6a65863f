using System.Globalization;

namespace TciaPacs.Web;

/// <summary>
/// One media range of an Accept header (RFC 9110 12.5.1) or a Content-Type: <c>type/subtype</c> in lower case, its
/// parameters (names in lower case, values unquoted) and its quality. PS3.18 8.7 puts the DICOM choices in
/// parameters: <c>multipart/related; type="application/dicom"; transfer-syntax=*</c>.
/// </summary>
internal sealed record MediaRange(string Type, IReadOnlyDictionary<string, string> Parameters, double Quality)
{
    public string? this[string name] => Parameters.TryGetValue(name, out var v) ? v : null;

    public bool IsWildcard => Type is "*/*";

    public bool Is(string type) => string.Equals(Type, type, StringComparison.OrdinalIgnoreCase);

    /// <summary>Matches <paramref name="type"/> directly, or by <c>*/*</c> or <c>image/*</c>.</summary>
    public bool Accepts(string type) =>
        IsWildcard || Is(type) || (Type.EndsWith("/*", StringComparison.Ordinal) && type.StartsWith(Type[..^1], StringComparison.OrdinalIgnoreCase));

    /// <summary>For <c>multipart/related</c>: the type of its parts (the <c>type</c> parameter).</summary>
    public string? PartType => this["type"]?.ToLowerInvariant();

    public string? TransferSyntax => this["transfer-syntax"];

    /// <summary>The ranges of an Accept header in order of preference; an absent or empty header is <c>*/*</c>.</summary>
    public static List<MediaRange> ParseAccept(IEnumerable<string?> headers)
    {
        var list = new List<MediaRange>();
        foreach (var header in headers)
            if (!string.IsNullOrWhiteSpace(header))
                foreach (var part in SplitOutsideQuotes(header, ','))
                    if (Parse(part) is { } r && r.Quality > 0) list.Add(r);
        if (list.Count == 0) list.Add(Any);
        // A stable sort: equal qualities keep the client's order.
        return [.. list.Select((r, i) => (r, i)).OrderByDescending(x => x.r.Quality).ThenBy(x => x.i).Select(x => x.r)];
    }

    public static readonly MediaRange Any = new("*/*", new Dictionary<string, string>(), 1);

    public static MediaRange? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var pieces = SplitOutsideQuotes(text, ';');
        var type = pieces[0].Trim().ToLowerInvariant();
        if (type == "*") type = "*/*";
        if (!type.Contains('/', StringComparison.Ordinal)) return null;
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var q = 1.0;
        foreach (var p in pieces.Skip(1))
        {
            var eq = p.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) continue;
            var name = p[..eq].Trim().ToLowerInvariant();
            var value = p[(eq + 1)..].Trim();
            if (value.Length >= 2 && value[0] == '"' && value[^1] == '"') value = value[1..^1];
            if (name == "q") q = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : 1;
            else parameters[name] = value;
        }
        return new MediaRange(type, parameters, q);
    }

    private static List<string> SplitOutsideQuotes(string text, char separator)
    {
        var parts = new List<string>();
        var start = 0;
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '"') quoted = !quoted;
            else if (text[i] == separator && !quoted)
            {
                parts.Add(text[start..i]);
                start = i + 1;
            }
        }
        parts.Add(text[start..]);
        return parts;
    }

    public override string ToString() =>
        Type + string.Concat(Parameters.Select(p => $"; {p.Key}={(p.Value.Contains('/', StringComparison.Ordinal) ? $"\"{p.Value}\"" : p.Value)}"));
}

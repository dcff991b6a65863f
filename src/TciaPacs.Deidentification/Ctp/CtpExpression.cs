using System.Text;

namespace TciaPacs.Deidentification.Ctp;

/// <summary>
/// One element script of a CTP DicomAnonymizer script: literal text and function calls
/// (<c>@name(arg, "quoted", @PARAM, ElementName){true clause}{false clause}</c>), evaluated left to right into the new value.
/// </summary>
public sealed class CtpExpression
{
    /// <summary>The functions of CTP's anonymizer that we implement (see conformance/deidentification.md).</summary>
    public static readonly IReadOnlySet<string> Functions = new HashSet<string>(StringComparer.Ordinal)
    {
        "keep", "remove", "empty", "blank", "hash", "hashuid", "hashptid", "incrementdate", "param", "contents", "if",
        "quarantine", "require", "always", "date", "time", "append", "lowercase", "uppercase", "truncate",
    };

    public abstract record Node;
    public sealed record Literal(string Text) : Node;
    public sealed record Argument(string Text, bool Quoted);
    public sealed record Call(string Name, IReadOnlyList<Argument> Arguments, IReadOnlyList<CtpExpression> Clauses) : Node;

    public IReadOnlyList<Node> Nodes { get; }

    private CtpExpression(List<Node> nodes) => Nodes = nodes;

    public static CtpExpression Parse(string script)
    {
        var pos = 0;
        var e = ParseSequence(script, ref pos, inClause: false);
        return e;
    }

    private static CtpExpression ParseSequence(string s, ref int pos, bool inClause)
    {
        var nodes = new List<Node>();
        var text = new StringBuilder();
        while (pos < s.Length)
        {
            var c = s[pos];
            if (inClause && c == '}') break;
            if (c == '\\' && pos + 1 < s.Length) { text.Append(s[pos + 1]); pos += 2; continue; }
            if (c == '@' && pos + 1 < s.Length && char.IsLetter(s[pos + 1]))
            {
                var start = pos + 1;
                var end = start;
                while (end < s.Length && char.IsLetterOrDigit(s[end])) end++;
                if (end < s.Length && s[end] == '(')
                {
                    if (text.Length > 0) { nodes.Add(new Literal(text.ToString())); text.Clear(); }
                    var name = s[start..end];
                    if (!Functions.Contains(name)) throw new FormatException($"@{name}() is not supported");
                    pos = end + 1;
                    var args = ParseArguments(s, ref pos);
                    var clauses = new List<CtpExpression>();
                    while (pos < s.Length && s[pos] == '{')
                    {
                        pos++;
                        clauses.Add(ParseSequence(s, ref pos, inClause: true));
                        if (pos >= s.Length || s[pos] != '}') throw new FormatException($"@{name}: unclosed {{");
                        pos++;
                    }
                    nodes.Add(new Call(name, args, clauses));
                    continue;
                }
            }
            text.Append(c);
            pos++;
        }
        if (text.Length > 0) nodes.Add(new Literal(text.ToString()));
        return new CtpExpression(nodes);
    }

    private static List<Argument> ParseArguments(string s, ref int pos)
    {
        var args = new List<Argument>();
        var current = new StringBuilder();
        var quoted = false;
        while (pos < s.Length)
        {
            var c = s[pos];
            if (c == '"')
            {
                pos++;
                while (pos < s.Length && s[pos] != '"') { if (s[pos] == '\\' && pos + 1 < s.Length) pos++; current.Append(s[pos]); pos++; }
                if (pos >= s.Length) throw new FormatException("unclosed quoted argument");
                quoted = true;
                pos++;
                continue;
            }
            if (c == ',' || c == ')')
            {
                var text = quoted ? current.ToString() : current.ToString().Trim();
                if (text.Length > 0 || quoted || args.Count > 0 || c == ',') args.Add(new Argument(text, quoted));
                current.Clear();
                quoted = false;
                pos++;
                if (c == ')') return args;
                continue;
            }
            current.Append(c);
            pos++;
        }
        throw new FormatException("unclosed (");
    }
}

using System.Text;
using System.Text.RegularExpressions;

namespace KeyShareDetector.Helm.Tests.Lint;

/// <summary>One <c>{{ ... }}</c> action: its text without delimiters, trim markers or comments.</summary>
public sealed record TemplateAction(string Text, int Line, int Start, int End);

/// <summary>A values path a template reads, where.</summary>
public sealed record ValueReference(string Path, string Template, int Line);

/// <summary>Something wrong in a template's structure.</summary>
public sealed record TemplateProblem(string Template, int Line, string Message);

/// <summary>
/// A Go-template scanner good enough for chart linting without helm: splits a template into actions,
/// checks that <c>{{ }}</c> and <c>if/range/with/define/block ... end</c> pair up, and lists every values
/// path read, from <c>.Values.a.b</c>, <c>$.Values.a.b</c>, <c>$root.Values.a.b</c>,
/// <c>index .Values "a" "b"</c> and, inside <c>with .Values.a</c>, relative fields such as <c>.b</c>
/// (resolved to <c>a.b</c>). String literals are ignored. A <c>define</c> body is scanned with the chart
/// root as its dot (the chart's helpers are all called with <c>.</c>).
/// </summary>
public static partial class TemplateScanner
{
    private static readonly string[] RootObjects = ["Values", "Release", "Chart", "Template", "Capabilities", "Files"];

    public sealed record Result(IReadOnlyList<TemplateAction> Actions, IReadOnlyList<ValueReference> References,
        IReadOnlyList<TemplateProblem> Problems);

    /// <summary>The actions of a template (comments dropped), or problems for unterminated ones.</summary>
    public static (List<TemplateAction> Actions, List<TemplateProblem> Problems) Tokenize(string name, string text)
    {
        var actions = new List<TemplateAction>();
        var problems = new List<TemplateProblem>();
        var i = 0;
        while (i < text.Length)
        {
            var open = text.IndexOf("{{", i, StringComparison.Ordinal);
            var strayClose = text.IndexOf("}}", i, StringComparison.Ordinal);
            if (strayClose >= 0 && (open < 0 || strayClose < open))
                problems.Add(new(name, LineOf(text, strayClose), "'}}' without a matching '{{'"));
            if (open < 0) break;
            var close = FindClose(text, open + 2);
            if (close < 0)
            {
                problems.Add(new(name, LineOf(text, open), "'{{' is never closed"));
                break;
            }
            var inner = text[(open + 2)..close];
            if (inner.StartsWith('-')) inner = inner[1..];
            if (inner.EndsWith('-')) inner = inner[..^1];
            inner = inner.Trim();
            if (inner.StartsWith("/*", StringComparison.Ordinal))
            {
                if (!inner.EndsWith("*/", StringComparison.Ordinal))
                    problems.Add(new(name, LineOf(text, open), "comment '{{/*' is not closed by '*/}}'"));
            }
            else
            {
                actions.Add(new TemplateAction(inner, LineOf(text, open), open, close + 2));
            }
            i = close + 2;
        }
        return (actions, problems);
    }

    /// <summary>Scans one template: structure and value references.</summary>
    public static Result Scan(string name, string text)
    {
        var (actions, problems) = Tokenize(name, text);
        var refs = new List<ValueReference>();
        // Each frame: the keyword that opened it and the values path its dot stands for
        // ("" = the chart root, null = unknown, e.g. a range element or a non-values with).
        var stack = new Stack<(string Keyword, string? Scope, string? OuterScope, int Line)>();
        string? Scope() => stack.Count == 0 ? "" : stack.Peek().Scope;

        foreach (var action in actions)
        {
            var keyword = FirstWord(action.Text);
            var body = keyword is "if" or "range" or "with" or "define" or "block" or "else" or "template"
                ? action.Text[keyword.Length..]
                : action.Text;
            var elseOf = "";
            if (keyword == "else")
            {
                var rest = body.TrimStart();
                elseOf = FirstWord(rest);
                if (elseOf is "if" or "with") body = rest[elseOf.Length..];
                else elseOf = "";
            }

            // The references of the action itself are read in the current scope (for `with`, before it rebinds
            // dot; for `else if` / `else with`, in the scope outside the block).
            var outer = keyword == "else" && stack.Count > 0 ? stack.Peek().OuterScope : Scope();
            if (keyword == "define") outer = "";
            if (keyword is not "define" and not "end")
                CollectReferences(name, action, body, outer, refs, problems, dotRebound: outer != "");

            switch (keyword)
            {
                case "if":
                    stack.Push(("if", Scope(), Scope(), action.Line));
                    break;
                case "with":
                    stack.Push(("with", WithScope(body, Scope()), Scope(), action.Line));
                    break;
                case "range":
                    stack.Push(("range", null, Scope(), action.Line));
                    break;
                case "define":
                case "block":
                    stack.Push((keyword, "", "", action.Line));
                    break;
                case "else":
                    if (stack.Count == 0)
                    {
                        problems.Add(new(name, action.Line, "'else' outside if/with/range"));
                    }
                    else
                    {
                        var top = stack.Pop();
                        // `else with X` rebinds dot; any other else of a with/range sees the outer dot again.
                        var scope = elseOf == "with" ? WithScope(body, top.OuterScope)
                            : top.Keyword is "with" or "range" ? top.OuterScope : top.Scope;
                        stack.Push((top.Keyword, scope, top.OuterScope, top.Line));
                    }
                    break;
                case "end":
                    if (stack.Count == 0) problems.Add(new(name, action.Line, "'end' without an open if/range/with/define"));
                    else stack.Pop();
                    break;
            }
        }
        foreach (var open in stack)
            problems.Add(new(name, open.Line, $"'{open.Keyword}' is never closed by 'end'"));
        return new Result(actions, refs, problems);
    }

    private static void CollectReferences(string name, TemplateAction action, string body, string? scope,
        List<ValueReference> refs, List<TemplateProblem> problems, bool dotRebound)
    {
        foreach (Match m in IndexValues().Matches(body))
        {
            var path = m.Groups["dots"].Value.TrimStart('.');
            var keys = m.Groups["keys"].Captures.Select(c => c.Value);
            refs.Add(new(string.Join('.', new[] { path }.Where(p => p.Length > 0).Concat(keys)), name, action.Line));
        }
        var code = StripStrings(body);
        foreach (Match m in AbsoluteValues().Matches(code))
        {
            var viaDollar = m.Groups["var"].Success;
            if (!viaDollar && dotRebound)
                problems.Add(new(name, action.Line, $"'.Values{m.Groups["path"].Value}' inside with/range: dot is rebound there, use '$.Values'"));
            refs.Add(new(m.Groups["path"].Value.TrimStart('.'), name, action.Line));
        }
        code = AbsoluteValues().Replace(code, " ");
        foreach (Match m in RelativeField().Matches(code))
        {
            var path = m.Groups["path"].Value;
            var first = path.Split('.')[0];
            if (RootObjects.Contains(first, StringComparer.Ordinal))
            {
                if (dotRebound)
                    problems.Add(new(name, action.Line, $"'.{path}' inside with/range: dot is rebound there, use '$.{first}'"));
                continue;
            }
            if (scope is { Length: > 0 }) refs.Add(new(scope + "." + path, name, action.Line));
        }
    }

    /// <summary>The values path `with` binds dot to, when its argument is one.</summary>
    private static string? WithScope(string argument, string? current)
    {
        var code = StripStrings(argument).Trim();
        var abs = AbsoluteValues().Match(code);
        if (abs.Success && abs.Index == 0) return abs.Groups["path"].Value.TrimStart('.');
        var rel = RelativeField().Match(code);
        if (rel.Success && rel.Index == 0 && current is { Length: > 0 }) return current + "." + rel.Groups["path"].Value;
        return null;
    }

    private static string FirstWord(string text)
    {
        var t = text.TrimStart();
        var n = 0;
        while (n < t.Length && (char.IsLetter(t[n]))) n++;
        return t[..n];
    }

    /// <summary>Replaces "..." and `...` literals with blanks so their contents are not read as code.</summary>
    internal static string StripStrings(string code)
    {
        var sb = new StringBuilder(code.Length);
        for (var i = 0; i < code.Length; i++)
        {
            var c = code[i];
            if (c is '"' or '`')
            {
                var quote = c;
                sb.Append(' ');
                i++;
                while (i < code.Length && code[i] != quote)
                {
                    if (quote == '"' && code[i] == '\\') i++;
                    i++;
                }
                sb.Append(' ');
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }

    private static int FindClose(string text, int from)
    {
        var i = from;
        while (i < text.Length - 1)
        {
            var c = text[i];
            if (c is '"' or '`')
            {
                var quote = c;
                i++;
                while (i < text.Length && text[i] != quote && !(quote == '"' && text[i] == '\n'))
                {
                    if (quote == '"' && text[i] == '\\') i++;
                    i++;
                }
                i++;
                continue;
            }
            if (c == '/' && text[i + 1] == '*')
            {
                var endComment = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                if (endComment < 0) return -1;
                i = endComment + 2;
                continue;
            }
            if (c == '{' && text[i + 1] == '{') return -1;
            if (c == '}' && text[i + 1] == '}') return i;
            i++;
        }
        return -1;
    }

    private static int LineOf(string text, int index) => 1 + text.AsSpan(0, Math.Min(index, text.Length)).Count('\n');

    [GeneratedRegex(@"(?<![\w.])(?<var>\$\w*)?\.Values(?<path>(?:\.[A-Za-z_]\w*)+)")]
    private static partial Regex AbsoluteValues();

    [GeneratedRegex(@"\bindex\s+(?:\$\w*)?\.Values(?<dots>(?:\.[A-Za-z_]\w*)*)(?:\s+""(?<keys>[^""]*)"")+")]
    private static partial Regex IndexValues();

    [GeneratedRegex(@"(?<![\w$)\].])\.(?<path>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)")]
    private static partial Regex RelativeField();
}

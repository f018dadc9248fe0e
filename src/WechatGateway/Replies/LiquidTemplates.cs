using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.RegularExpressions;
using Fluid;
using Fluid.Ast;
using Fluid.Values;

namespace WechatGateway.Replies;

/// <summary>A reply that cannot be saved: which field, what is wrong, and where in that field's Liquid.</summary>
public sealed class ReplyValidationException(string field, string message, int? line = null, int? column = null)
    : Exception(line is null ? $"{field}: {message}" : $"{field}: {message} (line {line}, column {column})")
{
    public string Field { get; } = field;

    public int? Line { get; } = line;

    public int? Column { get; } = column;
}

/// <summary>A render that went past a bound (steps, a value's size, a range), or an output WeChat would refuse.</summary>
public sealed class ReplyRenderException(string field, string message) : InvalidOperationException($"{field}: {message}")
{
    public string Field { get; } = field;
}

/// <summary>
/// Liquid through Fluid. A template is parsed once, when it is saved; a syntax error, an unknown filter or a read of a
/// field the model lacks (<c>member.name</c>) is refused then, with its line and column, never discovered at send
/// time. Rendering is bounded so a template can neither loop a worker nor fill its memory: steps and recursion; the
/// output, kept up to the caller's limit; every value a filter or a <c>capture</c> builds (<see cref="MaxValueLength"/>),
/// since a doubling <c>append</c> needs only ~30 steps to reach a gigabyte; and ranges (<see cref="MaxItems"/>), which
/// Fluid builds as arrays. The model is data: text a follower wrote is a value, never Liquid.
/// </summary>
public sealed partial class LiquidTemplates
{
    /// <summary>Characters in one value built by a filter or a capture: four times the longest text WeChat delivers.</summary>
    public const int MaxValueLength = 8 * 1024;

    /// <summary>Steps a render may take; the <c>for</c> a render can finish needs no longer range than this.</summary>
    public const int MaxSteps = 10_000;

    /// <summary>Items in an array a filter or a range builds: as many as a render has steps.</summary>
    public const int MaxItems = MaxSteps;

    private static readonly FluidParser Parser = new(new FluidParserOptions { AllowFunctions = false });

    private readonly TemplateOptions _options = new()
    {
        MaxSteps = MaxSteps,
        MaxRecursion = 10,
        StrictFilters = true,
        CultureInfo = CultureInfo.InvariantCulture,
        TimeZone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai"),
    };

    /// <summary>The fields a template may read, as the sample model has them: <c>member</c> → <c>points</c> → <c>balance</c>.</summary>
    private static readonly Dictionary<string, object?> ModelFields = ReplyModel.Sample.ToLiquid().ToDictionary(v => v.Name, v => v.Value);

    private readonly HashSet<string> _filterNames;

    public LiquidTemplates()
    {
        foreach (var (name, filter) in _options.Filters.ToList())
        {
            _options.Filters.AddFilter(name, async (input, arguments, context) => Bounded(await filter(input, arguments, context)));
        }

        _filterNames = _options.Filters.Select(f => f.Key).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Parses one field's Liquid, checks its filters and (when <paramref name="knownFieldsOnly"/>) the model fields it
    /// reads, and renders it once on a sample member. The sample render has the bounds of a real one; a template that
    /// passes it can still exceed them for another member, and then that render fails (<see cref="ReplyRenderException"/>)
    /// instead of growing.
    /// </summary>
    public IFluidTemplate Compile(string field, string source, bool knownFieldsOnly = true)
    {
        if (!Parser.TryParse(source, out var parsed, out var error))
        {
            throw ParseError(field, error);
        }

        var reads = new Reads();
        reads.VisitTemplate(parsed);
        if (reads.Filters.FirstOrDefault(name => !_filterNames.Contains(name)) is { } filter)
        {
            var (line, column) = Locate(source, $@"\|\s*({Regex.Escape(filter)})(?![\w-])");
            throw new ReplyValidationException(field, $"unknown filter '{filter}'", line, column);
        }

        foreach (var path in reads.Paths.Where(p => knownFieldsOnly && p.Count > 0 && !reads.Assigned.Contains(p[0])))
        {
            if (UnknownPath(path) is { } unknown)
            {
                var (line, column) = Locate(source, $@"(?<![\w.-])({string.Join(@"\s*\.\s*", unknown.Path.Select(Regex.Escape))})(?![\w-])");
                throw new ReplyValidationException(field, $"unknown field '{string.Join('.', unknown.Path)}'; {unknown.Known}", line, column);
            }
        }

        var template = new Bounds().VisitTemplate(parsed);
        try
        {
            // Our model is in memory, so the render completes synchronously (as Fluid's own Render waits on it).
            template.RenderAsync(new BoundedWriter(MaxValueLength), NullEncoder.Default, Context(ReplyModel.Sample)).AsTask().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is InvalidOperationException or FluidException)
        {
            throw new ReplyValidationException(field, e.Message, Line(source, e.Message), null);
        }

        return template;
    }

    /// <summary>The rendered text, of which only the first <paramref name="maxLength"/> + 1 characters are kept: enough for the caller to see that it must cut.</summary>
    /// <exception cref="ReplyRenderException">The render went past a bound.</exception>
    public async ValueTask<string> RenderAsync(string field, IFluidTemplate template, ReplyModel model, int maxLength)
    {
        var output = new BoundedWriter(maxLength + 1);
        try
        {
            await template.RenderAsync(output, NullEncoder.Default, Context(model));
        }
        catch (Exception e) when (e is InvalidOperationException or FluidException)
        {
            throw new ReplyRenderException(field, e.Message);
        }

        return output.ToString();
    }

    private static FluidValue Bounded(FluidValue value) => value switch
    {
        StringValue s when s.ToStringValue().Length > MaxValueLength => throw new InvalidOperationException($"a value grew past {MaxValueLength} characters"),
        ArrayValue a when a.Values.Count > MaxItems => throw new InvalidOperationException($"an array grew past {MaxItems} items"),
        _ => value,
    };

    private TemplateContext Context(ReplyModel model)
    {
        var context = new TemplateContext(_options);
        foreach (var (name, value) in model.ToLiquid())
        {
            context.SetValue(name, value);
        }

        return context;
    }

    /// <summary>
    /// Fluid reports a parse error as "message at (line:column)" followed by "Source:" and the line; the editor shows
    /// the line itself, so only the message is kept, and the position goes to the exception once.
    /// </summary>
    private static ReplyValidationException ParseError(string field, string error)
    {
        var match = ParseErrorPattern().Match(error);
        if (!match.Success)
        {
            return new ReplyValidationException(field, "the Liquid does not parse");
        }

        var message = match.Groups["message"].Value.Trim();
        return new ReplyValidationException(
            field,
            $"the Liquid does not parse: {char.ToLowerInvariant(message[0])}{message[1..]}",
            int.Parse(match.Groups["line"].Value, CultureInfo.InvariantCulture),
            int.Parse(match.Groups["column"].Value, CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// The first segments of a model path that the model does not have, with what it has there; null when the path is
    /// known. Past a value (a nickname's <c>size</c>) and past an indexer, nothing is checked.
    /// </summary>
    private static (IReadOnlyList<string> Path, string Known)? UnknownPath(IReadOnlyList<string> path)
    {
        if (!ModelFields.TryGetValue(path[0], out var node))
        {
            return null;
        }

        for (var i = 1; i < path.Count && node is IReadOnlyDictionary<string, object?> fields; i++)
        {
            if (!fields.TryGetValue(path[i], out node) && path[i] != "size")
            {
                return (path.Take(i + 1).ToList(), $"{string.Join('.', path.Take(i))} has {string.Join(", ", Leaves(fields))}");
            }
        }

        return null;
    }

    private static IEnumerable<string> Leaves(IReadOnlyDictionary<string, object?> fields) => fields.SelectMany(f =>
        f.Value is IReadOnlyDictionary<string, object?> inner ? Leaves(inner).Select(leaf => $"{f.Key}.{leaf}") : [f.Key]);

    /// <summary>The line and column (from 1) of the first match of the pattern's group 1 inside <c>{{ }}</c> or <c>{% %}</c>.</summary>
    private static (int? Line, int? Column) Locate(string source, string pattern)
    {
        foreach (Match markup in MarkupPattern().Matches(source))
        {
            var found = Regex.Match(markup.Value, pattern, RegexOptions.None, TimeSpan.FromSeconds(1));
            if (found.Success)
            {
                var offset = markup.Index + found.Groups[1].Index;
                var lineStart = source.LastIndexOf('\n', Math.Max(offset - 1, 0)) + 1;
                return (source[..offset].Count(c => c == '\n') + 1, offset - lineStart + 1);
            }
        }

        return (null, null);
    }

    /// <summary>A render error names the filter, not its place: the first line that uses it.</summary>
    private static int? Line(string source, string message)
    {
        var name = FilterName().Match(message);
        if (!name.Success)
        {
            return null;
        }

        var lines = source.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Contains(name.Groups[1].Value, StringComparison.Ordinal))
            {
                return i + 1;
            }
        }

        return null;
    }

    /// <summary>What a parsed template reads: the filters it calls, the dotted paths it reads and the names it sets itself.</summary>
    private sealed class Reads : AstVisitor
    {
        public List<string> Filters { get; } = [];

        public List<IReadOnlyList<string>> Paths { get; } = [];

        public HashSet<string> Assigned { get; } = new(StringComparer.Ordinal);

        protected override Expression VisitFilterExpression(FilterExpression filterExpression)
        {
            Visit(filterExpression.Input);
            Filters.Add(filterExpression.Name);
            foreach (var parameter in filterExpression.Parameters)
            {
                Visit(parameter.Expression);
            }

            return filterExpression;
        }

        protected override Expression VisitMemberExpression(MemberExpression memberExpression)
        {
            Paths.Add(memberExpression.Segments.TakeWhile(s => s is IdentifierSegment).Select(s => ((IdentifierSegment)s).Identifier).ToList());
            return base.VisitMemberExpression(memberExpression);
        }

        protected override Statement VisitAssignStatement(AssignStatement assignStatement)
        {
            Assigned.Add(assignStatement.Identifier);
            return base.VisitAssignStatement(assignStatement);
        }

        protected override Statement VisitCaptureStatement(CaptureStatement captureStatement)
        {
            Assigned.Add(captureStatement.Identifier);
            return base.VisitCaptureStatement(captureStatement);
        }

        protected override Statement VisitForStatement(ForStatement forStatement)
        {
            Assigned.Add(forStatement.Identifier);
            return base.VisitForStatement(forStatement);
        }
    }

    /// <summary>Puts the bounds Fluid's options cannot express into a parsed template: on ranges and on captures.</summary>
    private sealed class Bounds : AstRewriter
    {
        protected override Expression VisitRangeExpression(RangeExpression rangeExpression) =>
            new BoundedRange((RangeExpression)base.VisitRangeExpression(rangeExpression));

        protected override Statement VisitCaptureStatement(CaptureStatement captureStatement) =>
            new BoundedCapture((CaptureStatement)base.VisitCaptureStatement(captureStatement));
    }

    /// <summary>Fluid materialises <c>(1..n)</c> as an array of n numbers in one step, even in a <c>for</c>.</summary>
    private sealed class BoundedRange(RangeExpression range) : Expression
    {
        public override async ValueTask<FluidValue> EvaluateAsync(TemplateContext context)
        {
            var from = (await range.From.EvaluateAsync(context)).ToNumberValue();
            var to = (await range.To.EvaluateAsync(context)).ToNumberValue();
            return to - from >= MaxItems
                ? throw new InvalidOperationException($"a range holds more than {MaxItems} numbers")
                : await range.EvaluateAsync(context);
        }
    }

    /// <summary>A <c>capture</c> into a bounded writer: doubling a captured value would otherwise need no filter.</summary>
    private sealed class BoundedCapture(CaptureStatement capture) : Statement
    {
        public override async ValueTask<Completion> WriteToAsync(TextWriter writer, TextEncoder encoder, TemplateContext context)
        {
            context.IncrementSteps();
            var captured = new BoundedWriter(MaxValueLength + 1);
            var completion = Completion.Normal;
            foreach (var statement in capture.Statements)
            {
                completion = await statement.WriteToAsync(captured, encoder, context);
                if (completion != Completion.Normal)
                {
                    break;
                }
            }

            context.SetValue(capture.Identifier, Bounded(new StringValue(captured.ToString(), false)));
            return completion;
        }
    }

    /// <summary>Keeps the first <c>maxLength</c> characters written and drops the rest, so output costs no memory past the limit.</summary>
    private sealed class BoundedWriter(int maxLength) : TextWriter
    {
        private readonly StringBuilder _text = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            if (_text.Length < maxLength)
            {
                _text.Append(value);
            }
        }

        public override void Write(string? value) => Write(value.AsSpan());

        public override void Write(char[] buffer, int index, int count) => Write(buffer.AsSpan(index, count));

        public override void Write(ReadOnlySpan<char> buffer) => _text.Append(buffer[..Math.Min(buffer.Length, maxLength - _text.Length)]);

        public override Task WriteAsync(char value)
        {
            Write(value);
            return Task.CompletedTask;
        }

        public override Task WriteAsync(string? value)
        {
            Write(value);
            return Task.CompletedTask;
        }

        public override Task WriteAsync(char[] buffer, int index, int count)
        {
            Write(buffer, index, count);
            return Task.CompletedTask;
        }

        public override Task WriteAsync(ReadOnlyMemory<char> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return Task.CompletedTask;
        }

        public override string ToString() => _text.ToString();
    }

    [GeneratedRegex(@"^(?<message>.+?) at \((?<line>\d+):(?<column>\d+)\)", RegexOptions.Singleline)]
    private static partial Regex ParseErrorPattern();

    [GeneratedRegex(@"\{\{.*?\}\}|\{%.*?%\}", RegexOptions.Singleline)]
    private static partial Regex MarkupPattern();

    [GeneratedRegex(@"'([^']+)'")]
    private static partial Regex FilterName();
}

using System.Globalization;
using System.Text.RegularExpressions;
using Fluid;

namespace WechatGateway.Replies;

/// <summary>A reply that cannot be saved: which field, what is wrong, and where in that field's Liquid.</summary>
public sealed class ReplyValidationException(string field, string message, int? line = null, int? column = null)
    : Exception(line is null ? $"{field}: {message}" : $"{field}: {message} (line {line}, column {column})")
{
    public string Field { get; } = field;

    public int? Line { get; } = line;

    public int? Column { get; } = column;
}

/// <summary>
/// Liquid through Fluid. A template is parsed once, when it is saved; a syntax error or an unknown filter is refused
/// then, with its line and column, never discovered at send time. Rendering is bounded (steps, recursion) so a
/// template cannot loop a worker, and the model is data: text a follower wrote is a value, never Liquid.
/// </summary>
public sealed partial class LiquidTemplates
{
    private static readonly FluidParser Parser = new(new FluidParserOptions { AllowFunctions = false });

    private readonly TemplateOptions _options = new()
    {
        MaxSteps = 10_000,
        MaxRecursion = 10,
        StrictFilters = true,
        CultureInfo = CultureInfo.InvariantCulture,
        TimeZone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai"),
    };

    /// <summary>Parses one field's Liquid and renders it once on a sample member, which is how unknown filters show.</summary>
    public IFluidTemplate Compile(string field, string source)
    {
        if (!Parser.TryParse(source, out var template, out var error))
        {
            var (line, column) = Position(error);
            throw new ReplyValidationException(field, "the Liquid does not parse: " + error, line, column);
        }

        try
        {
            template.Render(Context(ReplyModel.Sample));
        }
        catch (Exception e) when (e is InvalidOperationException or FluidException)
        {
            throw new ReplyValidationException(field, e.Message, Line(source, e.Message), null);
        }

        return template;
    }

    public ValueTask<string> RenderAsync(IFluidTemplate template, ReplyModel model) => template.RenderAsync(Context(model));

    private TemplateContext Context(ReplyModel model)
    {
        var context = new TemplateContext(_options);
        foreach (var (name, value) in model.ToLiquid())
        {
            context.SetValue(name, value);
        }

        return context;
    }

    /// <summary>Fluid reports a parse error "at (line:column)".</summary>
    private static (int? Line, int? Column) Position(string error)
    {
        var match = PositionPattern().Match(error);
        return match.Success
            ? (int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture))
            : (null, null);
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

    [GeneratedRegex(@"\((\d+):(\d+)\)")]
    private static partial Regex PositionPattern();

    [GeneratedRegex(@"'([^']+)'")]
    private static partial Regex FilterName();
}

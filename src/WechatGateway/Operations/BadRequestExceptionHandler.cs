using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using System.Text.Unicode;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace WechatGateway.Operations;

/// <summary>
/// Request binding failures (malformed JSON, a wrong type, an unknown enum value, a non-numeric id) are the caller's
/// mistake: a 400 problem that says what was wrong, in every environment. Left to the framework they are a 500 in
/// Development and a bare 400 in Production.
/// </summary>
public sealed partial class BadRequestExceptionHandler(IProblemDetailsService problems, ILogger<BadRequestExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        // Debug: the framework's message can quote what the caller sent, and that can be anything, personal data included.
        logger.LogDebug("Bad request to {Method} {Path}: {Reason}", http.Request.Method, http.Request.Path, bad.Message);
        var (detail, errors) = Explain(bad);
        var problem = new ProblemDetails { Status = bad.StatusCode, Title = TitleOf(bad.StatusCode), Detail = detail };
        if (errors is not null)
        {
            problem.Extensions["errors"] = errors;
        }

        http.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem, Exception = exception });
    }

    private static string TitleOf(int status) => status switch
    {
        StatusCodes.Status413PayloadTooLarge => "Request body too large",
        StatusCodes.Status415UnsupportedMediaType => "Unsupported content type",
        _ => "Invalid request",
    };

    /// <summary>What was wrong, in the product's words, and the field it concerns (the key a handler's validation would use).</summary>
    private static (string Detail, Dictionary<string, string[]>? Errors) Explain(BadHttpRequestException bad)
    {
        if (FindJsonException(bad) is { } json)
        {
            if (IsSyntaxError(json))
            {
                return ($"The body is not well-formed JSON (line {json.LineNumber + 1}, byte {json.BytePositionInLine + 1}).", null);
            }

            // "$.role" → "role"; an unknown property is named by the serializer's message, its path being the object's.
            if (UnknownProperty().Match(json.Message) is { Success: true } unknown)
            {
                var field = Field(json.Path, unknown.Groups["name"].Value);
                return ($"The JSON body has a field this endpoint does not take: '{field}'. Check its spelling against the API documentation (/docs).",
                    new() { [field] = ["is not a field of this request"] });
            }

            return json.Path is { Length: > 1 } path
                ? ($"The JSON body is invalid at '{path}': a value is of the wrong type or not one of the allowed values.",
                    new() { [path.TrimStart('$', '.')] = ["missing, of the wrong type or not one of the allowed values"] })
                : ("The JSON body is not of the expected shape: send an object with the documented fields.", null);
        }

        if (RouteValue().Match(bad.Message) is { Success: true } route)
        {
            var name = route.Groups["name"].Value;
            return ($"'{name}' must be {Expected(route.Groups["type"].Value)}.", new() { [name] = [$"must be {Expected(route.Groups["type"].Value)}"] });
        }

        if (bad.Message.StartsWith("Implicit body inferred", StringComparison.Ordinal) || bad.Message.Contains("was not provided from body", StringComparison.Ordinal))
        {
            return ("This request needs a JSON object in its body (Content-Type: application/json): see the API documentation (/docs).",
                new() { ["body"] = ["is required"] });
        }

        if (bad.StatusCode == StatusCodes.Status415UnsupportedMediaType)
        {
            return ("Send the body as JSON, with Content-Type: application/json.", null);
        }

        // Query and header binding: the framework's message names the parameter it could not read.
        return (bad.Message, null);
    }

    // The serializer's path ends at the unknown property itself ("$.reply.contnet"), or at its object in older versions.
    private static string Field(string? path, string name) => path?.TrimStart('$', '.') switch
    {
        { Length: > 0 } at when at == name || at.EndsWith("." + name, StringComparison.Ordinal) => at,
        { Length: > 0 } parent => $"{parent}.{name}",
        _ => name,
    };

    private static string Expected(string type) => type switch
    {
        "int" or "long" or "uint" or "ulong" or "short" or "ushort" => "a whole number",
        "decimal" or "double" or "float" => "a number",
        "bool" => "true or false",
        "DateTime" or "DateTimeOffset" => "a date and time (ISO 8601)",
        "Guid" => "a GUID",
        _ => "a valid " + type,
    };

    // "The JSON property 'stok' could not be mapped to any .NET member contained in type '...'."
    [GeneratedRegex(@"property '(?<name>[^']{1,200})' could not be mapped", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex UnknownProperty();

    // "Failed to bind parameter \"ulong id\" from \"abc\"."
    [GeneratedRegex(@"^Failed to bind parameter ""(?<type>[\w.?]+) (?<name>\w+)""", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex RouteValue();

    // The reader's own exception type is internal: a syntax error is a JsonException wrapping it, a conversion error is not.
    private static bool IsSyntaxError(JsonException json) => json.InnerException?.GetType().Name == "JsonReaderException";

    private static JsonException? FindJsonException(Exception e)
    {
        for (var current = e.InnerException; current is not null; current = current.InnerException)
        {
            if (current is JsonException json)
            {
                return json;
            }
        }

        return null;
    }
}

public static class HttpApiExtensions
{
    /// <summary>Problem details for every error, binding failures as 400 problems that say what was wrong, and JSON that is safe to embed.</summary>
    public static IServiceCollection AddHttpApiDefaults(this IServiceCollection services)
    {
        // Member-controlled text (nicknames, city) is returned with <, >, &, ' and " escaped, so a client that pastes
        // our JSON into a page or a script block cannot be made to run it; every other character stays readable.
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Encoder = JavaScriptEncoder.Create(UnicodeRanges.All));

        // A misspelt field ({"stok": 3}) is refused with a 400 naming it, instead of being ignored and its default kept.
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow);
        services.AddProblemDetails();
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        services.AddExceptionHandler<StorageUnavailableExceptionHandler>();

        // Binding failures throw in every environment (the default does so only in Development), so the handler
        // above sees them all and answers them the same way.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        return services;
    }
}

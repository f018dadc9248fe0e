using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace WechatGateway.Operations;

/// <summary>
/// Request binding failures (malformed JSON, a wrong type, an unknown enum value, a non-numeric id) are the caller's
/// mistake: a 400 problem that says what was wrong, in every environment. Left to the framework they are a 500 in
/// Development and a bare 400 in Production.
/// </summary>
public sealed class BadRequestExceptionHandler(IProblemDetailsService problems, ILogger<BadRequestExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        // Debug: the framework's message can quote what the caller sent, and that can be anything, personal data included.
        logger.LogDebug("Bad request to {Method} {Path}: {Reason}", http.Request.Method, http.Request.Path, bad.Message);
        var problem = new ProblemDetails { Status = bad.StatusCode, Title = TitleOf(bad.StatusCode), Detail = DetailOf(bad) };
        if (FindJsonException(bad) is { Path: { Length: > 1 } path } json && !IsSyntaxError(json))
        {
            // "$.role" → "role": the same key a validation problem from the handler would use.
            problem.Extensions["errors"] = new Dictionary<string, string[]>
            {
                [path.TrimStart('$', '.')] = ["missing, of the wrong type or not one of the allowed values"],
            };
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

    private static string DetailOf(BadHttpRequestException bad) => FindJsonException(bad) switch
    {
        { } json when IsSyntaxError(json) => $"The body is not well-formed JSON (line {json.LineNumber + 1}, byte {json.BytePositionInLine + 1}).",
        { Path: { Length: > 1 } path } => $"The JSON body is invalid at '{path}': a value is of the wrong type or not one of the allowed values.",
        not null => "The JSON body is not of the expected shape: send an object with the documented fields.",

        // Route, query and header binding: the framework's message names the parameter and the text it could not read.
        null => bad.Message,
    };

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
        services.AddProblemDetails();
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        services.AddExceptionHandler<StorageUnavailableExceptionHandler>();

        // Binding failures throw in every environment (the default does so only in Development), so the handler
        // above sees them all and answers them the same way.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        return services;
    }
}

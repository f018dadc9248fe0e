using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace WechatGateway.Operations;

/// <summary>
/// The body of a realistic request to the endpoint whose handler carries it, as a client sends it (JSON, or the raw
/// text of a non-JSON body). <see cref="OpenApiExampleTransformer"/> puts it on the operation's request body.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RequestExampleAttribute([StringSyntax(StringSyntaxAttribute.Json)] string body) : Attribute
{
    public string Body { get; } = body;
}

/// <summary>
/// The body of a realistic answer of the endpoint whose handler carries it: by default its success response (the
/// lowest 2xx status of the operation that has a body), else the <see cref="StatusCode"/> named.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class ResponseExampleAttribute([StringSyntax(StringSyntaxAttribute.Json)] string body) : Attribute
{
    public string Body { get; } = body;

    /// <summary>0: the operation's success response.</summary>
    public int StatusCode { get; init; }
}

/// <summary>
/// Copies the <see cref="RequestExampleAttribute"/> and <see cref="ResponseExampleAttribute"/> of each handler into its
/// operation, so the examples live beside the handlers they describe and <c>/docs</c> shows them.
/// </summary>
public sealed class OpenApiExampleTransformer : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (metadata.OfType<RequestExampleAttribute>().FirstOrDefault() is { } request && operation.RequestBody?.Content is { } content)
        {
            SetExample(content, request.Body);
        }

        foreach (var response in metadata.OfType<ResponseExampleAttribute>())
        {
            var status = response.StatusCode != 0 ? response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : SuccessStatus(operation);
            if (status is not null && operation.Responses?.GetValueOrDefault(status)?.Content is { } body)
            {
                SetExample(body, response.Body);
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>The lowest 2xx status of the operation that has a body (201 for a create, 200 for a read).</summary>
    public static string? SuccessStatus(OpenApiOperation operation) =>
        operation.Responses?.Where(r => r.Key.StartsWith('2') && r.Value.Content is { Count: > 0 }).Select(r => r.Key).Order(StringComparer.Ordinal).FirstOrDefault();

    private static void SetExample(IDictionary<string, OpenApiMediaType> content, string body)
    {
        foreach (var (type, media) in content)
        {
            // JSON media get the parsed value (a malformed example fails here, at the first document request);
            // XML and plain text get the text itself.
            media.Example = type.Contains("json", StringComparison.OrdinalIgnoreCase) ? JsonNode.Parse(body) : JsonValue.Create(body);
        }
    }
}

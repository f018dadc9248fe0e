using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace WechatGateway.Operations;

/// <summary>A realistic body for the OpenAPI document: JSON, or the raw text of an XML, CSV or plain-text body.</summary>
public abstract class ExampleAttribute(string body) : Attribute
{
    public string Body { get; } = body;

    /// <summary>The one content type this example is for (<c>text/csv</c>); null: every content type without its own.</summary>
    public string? MediaType { get; init; }

    /// <summary>The example among <paramref name="examples"/> for <paramref name="mediaType"/>, if any.</summary>
    public static T? For<T>(IEnumerable<T> examples, string mediaType)
        where T : ExampleAttribute =>
        examples.FirstOrDefault(e => e.MediaType == mediaType) ?? examples.FirstOrDefault(e => e.MediaType is null);
}

/// <summary>A request body of the endpoint whose handler carries it, as a client sends it.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class RequestExampleAttribute([StringSyntax(StringSyntaxAttribute.Json)] string body) : ExampleAttribute(body);

/// <summary>
/// An answer of the endpoint whose handler carries it: by default its success response (the lowest 2xx status of the
/// operation that has a body), else the <see cref="StatusCode"/> named.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class ResponseExampleAttribute([StringSyntax(StringSyntaxAttribute.Json)] string body) : ExampleAttribute(body)
{
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
        SetExamples(operation.RequestBody?.Content, metadata.OfType<RequestExampleAttribute>().ToList());

        var success = operation.Responses?
            .Where(r => r.Key.StartsWith('2') && r.Value.Content is { Count: > 0 })
            .Select(r => r.Key).Order(StringComparer.Ordinal).FirstOrDefault();
        foreach (var byStatus in metadata.OfType<ResponseExampleAttribute>().GroupBy(e => e.StatusCode))
        {
            var status = byStatus.Key != 0 ? byStatus.Key.ToString(CultureInfo.InvariantCulture) : success;
            SetExamples(status is null ? null : operation.Responses?.GetValueOrDefault(status)?.Content, byStatus.ToList());
        }

        return Task.CompletedTask;
    }

    private static void SetExamples<T>(IDictionary<string, OpenApiMediaType>? content, IReadOnlyList<T> examples)
        where T : ExampleAttribute
    {
        foreach (var (type, media) in content ?? new Dictionary<string, OpenApiMediaType>())
        {
            if (ExampleAttribute.For(examples, type) is { } example)
            {
                // JSON media get the parsed value (a malformed example fails the first request for the document);
                // XML, CSV and plain text get the text itself.
                media.Example = type.Contains("json", StringComparison.OrdinalIgnoreCase) ? JsonNode.Parse(example.Body) : JsonValue.Create(example.Body);
            }
        }
    }
}

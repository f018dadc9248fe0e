using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace WechatGateway.Wechat.Api;

/// <summary>
/// One WeChat call on the wire: send, read WeChat's JSON, turn a non-zero errcode into <see cref="WechatApiException"/>.
/// Shared by <see cref="WechatApiClient"/> and <see cref="AccessTokenManager"/>.
/// </summary>
internal static class WechatHttp
{
    /// <summary>
    /// Marks a request the resilience pipeline may send again after a transient failure. Only calls whose repetition
    /// has no second effect carry it; a message send never does, since WeChat may have delivered the first attempt.
    /// </summary>
    public static readonly HttpRequestOptionsKey<bool> RetrySafe = new("WechatGateway.Wechat.RetrySafe");

    public static JsonSerializerOptions SerializerOptions { get; } = new()
    {
        // WeChat's examples send Chinese text as UTF-8; the default encoder would turn each character into a \uXXXX escape.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        // Optional fields (a template's url, a QR code's expire_seconds) are left out rather than sent as null.
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// Sends <paramref name="request"/> and returns WeChat's JSON answer.
    /// </summary>
    /// <param name="secrets">The access_token or AppSecret the request carries, cut from any error text.</param>
    /// <exception cref="WechatApiException">WeChat answered a non-zero errcode.</exception>
    /// <exception cref="TimeoutException">WeChat did not answer in time.</exception>
    /// <exception cref="HttpRequestException">Transport failure, non-2xx status, a body that is not WeChat's JSON, or the circuit is open.</exception>
    public static async Task<JsonElement> SendAsync(
        HttpClient client, string api, HttpRequestMessage request, string? secret, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, ct);
        }
        catch (TimeoutRejectedException e)
        {
            throw new TimeoutException($"WeChat API {api} did not answer within {e.Timeout.TotalSeconds:0.#} s.", e);
        }
        catch (BrokenCircuitException e)
        {
            throw new HttpRequestException($"WeChat API {api} was not called: too many recent calls to WeChat failed, calls resume shortly.", e);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException(
                    $"WeChat API {api} answered HTTP {(int)response.StatusCode} ({response.ReasonPhrase}).", null, response.StatusCode);
            }

            JsonElement body;
            try
            {
                await using var stream = await response.Content.ReadAsStreamAsync(ct);
                body = await JsonSerializer.DeserializeAsync<JsonElement>(stream, cancellationToken: ct);
            }
            catch (JsonException e)
            {
                throw new HttpRequestException(HttpRequestError.InvalidResponse, $"WeChat API {api} answered with a body that is not JSON.", e, response.StatusCode);
            }

            if (body.ValueKind != JsonValueKind.Object)
            {
                throw new HttpRequestException(HttpRequestError.InvalidResponse, $"WeChat API {api} answered with JSON that is not an object.", null, response.StatusCode);
            }

            // WeChat reports failure in the body of an HTTP 200; success either omits errcode or sends 0.
            if (body.TryGetProperty("errcode", out var errcode) && errcode.ValueKind == JsonValueKind.Number && errcode.TryGetInt32(out var code) && code != 0)
            {
                var message = body.TryGetProperty("errmsg", out var errmsg) && errmsg.ValueKind == JsonValueKind.String ? errmsg.GetString() ?? "" : "";
                throw new WechatApiException(api, code, Redact(message, secret)) { Answer = body };
            }

            return body;
        }
    }

    public static string Redact(string text, string? secret) =>
        string.IsNullOrEmpty(secret) ? text : text.Replace(secret, "***", StringComparison.Ordinal);

    public static string RequiredString(this JsonElement body, string api, string name) =>
        body.OptionalString(name) is { Length: > 0 } value
            ? value
            : throw new HttpRequestException(HttpRequestError.InvalidResponse, $"WeChat API {api} answered without '{name}'.");

    /// <summary>A string field; WeChat sends some ids (qr_scene, created_at of some APIs) as numbers, so those are read too.</summary>
    public static string? OptionalString(this JsonElement body, string name) =>
        body.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number => value.GetRawText(),
                _ => null,
            }
            : null;

    public static long? OptionalInt64(this JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.Number when value.TryGetInt64(out var number) => number,
            JsonValueKind.String when long.TryParse(value.GetString(), out var number) => number,
            _ => null,
        };
    }
}

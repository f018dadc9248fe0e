using System.Buffers;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using MySqlConnector;
using WechatGateway.Operations;
using WechatGateway.Processing;
using WechatGateway.Replies;
using WechatGateway.Wechat.Messages;
using WechatGateway.Wechat.Security;

namespace WechatGateway.Webhook;

/// <summary>
/// <c>/wechat/{appId}</c>: the URL pasted into the WeChat console (docs/CONTRACT.md §3).
/// </summary>
public static class WebhookEndpoints
{
    public static IEndpointRouteBuilder MapWechatWebhook(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/wechat/{appId}")
            .WithTags("WeChat webhook")
            .RequireWechatSignature();

        group.MapGet("", Verify)
            .WithSummary("URL verification: answers echostr when the signature is right.")
            .Produces<string>(StatusCodes.Status200OK, "text/plain");
        group.MapPost("", ReceiveAsync)
            .WithSummary("Receives a message or event push in plaintext, compatible or safe mode.")
            .Accepts<string>("text/xml", "application/xml")
            .Produces<string>(StatusCodes.Status200OK, "text/plain", "application/xml");
        return app;
    }

    /// <summary>
    /// WeChat's server-configuration check. The filter has already verified <c>signature</c>; only then is
    /// <c>echostr</c> echoed, so the URL cannot be used to reflect arbitrary text.
    /// </summary>
    [ResponseExample("""5840473820398746385""")]
    public static IResult Verify([FromQuery] string? echostr) =>
        string.IsNullOrEmpty(echostr)
            ? WebhookResults.Text(StatusCodes.Status400BadRequest, "echostr is required")
            : WebhookResults.Text(StatusCodes.Status200OK, echostr);

    [RequestExample("""<xml><ToUserName><![CDATA[gh_3a1b2c4d5e6f]]></ToUserName><FromUserName><![CDATA[oU7Zk5Xq3nLh2v9RbT1mYcW8eQdA]]></FromUserName><CreateTime>1764554403</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[价格]]></Content><MsgId>24857195738201736</MsgId></xml>""")]
    [ResponseExample("""success""", MediaType = "text/plain")]
    [ResponseExample("""<xml><ToUserName><![CDATA[oU7Zk5Xq3nLh2v9RbT1mYcW8eQdA]]></ToUserName><FromUserName><![CDATA[gh_3a1b2c4d5e6f]]></FromUserName><CreateTime>1764554403</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[Hi 小雨, you have 1260 points.]]></Content></xml>""", MediaType = "application/xml")]
    public static async Task<IResult> ReceiveAsync(HttpContext http, [AsParameters] WebhookServices services, CancellationToken ct)
    {
        var (recorder, replays, replier, processing, options, metrics, time, loggerFactory) = services;
        var account = WechatSignatureFilter.GetWechatAccount(http);
        var logger = loggerFactory.CreateLogger(typeof(WebhookEndpoints));
        var query = http.Request.Query;
        var signed = new PushQuery(query["timestamp"].ToString(), query["nonce"].ToString(), query["encrypt_type"], query["msg_signature"]);

        var body = await ReadBodyAsync(http.Request, ct);
        if (body is null)
        {
            return Refuse(StatusCodes.Status413PayloadTooLarge, $"body over {WechatXml.MaxBodyBytes} bytes", "too_large");
        }

        InboundPush inbound;
        try
        {
            inbound = WechatInbound.Open(body, account.Endpoint, signed);
        }
        catch (WechatSignatureException e)
        {
            return Refuse(StatusCodes.Status401Unauthorized, e.Message, "bad_msg_signature");
        }
        catch (WechatXmlException e) when (e.IsOversize)
        {
            return Refuse(StatusCodes.Status413PayloadTooLarge, e.Message, "too_large");
        }
        catch (Exception e) when (e is WechatXmlException or WechatCryptoException)
        {
            return Refuse(StatusCodes.Status400BadRequest, e.Message, "bad_body");
        }

        // An encrypted push's msg_signature covers its body, so a signed URL replayed with another body already failed
        // above: only a plaintext push needs the replay guard's round trip to Redis.
        if (!inbound.Encrypted && !await replays.IsFirstUseAsync(account.AppId, signed, query["signature"].ToString(), body))
        {
            return Refuse(StatusCodes.Status401Unauthorized, "this signed URL was already used with another body", "replayed");
        }

        // A passive reply is stored with the push, so a retry is answered the same: rendered before the push is recorded,
        // or, when it reads the member, by the push's own processing, which this request waits for (in a batch with the
        // other requests waiting then).
        var passive = await replier.ReplyAsync(account, inbound.Push, ct);
        RecordedPush recorded;
        try
        {
            recorded = await recorder.RecordAsync(
                new PushToRecord(account.AppId, inbound.Push, inbound.Encrypted ? "aes" : "plain", inbound.PlainText, passive.ReplyXml, passive.AfterProcessing), ct);
        }
        catch (Exception e) when (e is MySqlException or InvalidOperationException or TimeoutException or IOException)
        {
            // Answering 200 for a push we did not keep would lose it: 503 makes WeChat try again.
            logger.LogError(e, "Could not record push for {AppId}; answering 503", account.AppId);
            metrics.Count(account.AppId, "store_unavailable");
            return WebhookResults.Text(StatusCodes.Status503ServiceUnavailable, "temporarily unavailable");
        }

        metrics.Count(account.AppId, (recorded.IsNew, inbound.Push) switch
        {
            _ when recorded.Spooled => "spooled",
            (false, _) => "retry",
            (_, UnparsedPush) => "unparsed",
            (_, UnknownMessage or UnknownEvent) => "unknown_type",
            _ => "accepted",
        });
        var answer = recorded.ReplyXml;
        if (answer is null && passive.AfterProcessing && recorded.IsNew && !recorded.Spooled)
        {
            answer = await processing.ProcessForAnswerAsync(
                recorded.Id, account, inbound.Push, inbound.PlainText, time.GetUtcNow().UtcDateTime, TimeSpan.FromMilliseconds(options.Value.AnswerAfterProcessingMilliseconds));
        }

        if (answer is null)
        {
            return WebhookResults.Text(StatusCodes.Status200OK, WebhookResults.Success);
        }

        var timestamp = time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        return WebhookResults.Xml(WechatInbound.Seal(answer, inbound.Encrypted, account.Endpoint, timestamp, NewNonce()));

        IResult Refuse(int status, string reason, string outcome)
        {
            logger.LogWarning("Push for {AppId} refused with {Status}: {Reason}", account.AppId, status, reason);
            metrics.Count(account.AppId, outcome);
            return WebhookResults.Text(status, reason);
        }
    }

    /// <summary>Reads at most <see cref="WechatXml.MaxBodyBytes"/>; null when the body is larger.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > WechatXml.MaxBodyBytes)
        {
            return null;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(WechatXml.MaxBodyBytes + 1);
        try
        {
            var length = 0;
            int read;
            while ((read = await request.Body.ReadAsync(buffer.AsMemory(length, WechatXml.MaxBodyBytes + 1 - length), ct)) > 0)
            {
                length += read;
                if (length > WechatXml.MaxBodyBytes)
                {
                    return null;
                }
            }

            return buffer.AsSpan(0, length).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static string NewNonce() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
}

/// <summary>What the webhook's POST handler uses, from the container.</summary>
public sealed record WebhookServices(
    PushRecorder Recorder,
    ReplayGuard Replays,
    PassiveReplier Replier,
    AwaitedProcessing Processing,
    IOptions<WebhookOptions> Options,
    WebhookMetrics Metrics,
    TimeProvider Time,
    ILoggerFactory Loggers);

using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Mvc;
using MySqlConnector;
using WechatGateway.Accounts;
using WechatGateway.Wechat.Messages;
using WechatGateway.Wechat.Security;

namespace WechatGateway.Webhook;

/// <summary>
/// <c>/wechat/{appId}</c>: the URL pasted into the WeChat console (CONTRACT §3).
/// </summary>
public static class WebhookEndpoints
{
    public static IEndpointRouteBuilder MapWechatWebhook(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/wechat/{appId}")
            .WithTags("WeChat webhook")
            .RequireWechatSignature();

        group.MapGet("", Verify)
            .WithSummary("URL verification: answers echostr when the signature is right.");
        group.MapPost("", ReceiveAsync)
            .WithSummary("Receives a message or event push in plaintext, compatible or safe mode.")
            .Accepts<string>("text/xml", "application/xml");
        return app;
    }

    /// <summary>
    /// WeChat's server-configuration check. The filter has already verified <c>signature</c>; only then is
    /// <c>echostr</c> echoed, so the URL cannot be used to reflect arbitrary text.
    /// </summary>
    public static IResult Verify([FromQuery] string? echostr) =>
        string.IsNullOrEmpty(echostr)
            ? WebhookResults.Text(StatusCodes.Status400BadRequest, "echostr is required")
            : WebhookResults.Text(StatusCodes.Status200OK, echostr);

    public static async Task<IResult> ReceiveAsync(
        HttpContext http,
        PushPipeline pipeline,
        WebhookMetrics metrics,
        TimeProvider time,
        ILoggerFactory loggerFactory,
        CancellationToken ct)
    {
        var account = WechatSignatureFilter.GetWechatAccount(http);
        var logger = loggerFactory.CreateLogger(typeof(WebhookEndpoints));
        var query = http.Request.Query;
        var encrypted = string.Equals(query["encrypt_type"], "aes", StringComparison.OrdinalIgnoreCase);

        var body = await ReadBodyAsync(http.Request, ct);
        if (body is null)
        {
            return Refuse(StatusCodes.Status413PayloadTooLarge, $"body over {WechatXml.MaxBodyBytes} bytes", "too_large");
        }

        string plainXml;
        WechatPush push;
        try
        {
            var document = WechatXml.Parse(body);
            plainXml = encrypted ? Decrypt(account, document, query) : Encoding.UTF8.GetString(body);
            push = WechatPushParser.Parse(encrypted ? WechatXml.Parse(plainXml) : document);
        }
        catch (ForgedMessageSignatureException)
        {
            return Refuse(StatusCodes.Status401Unauthorized, "wrong msg_signature", "bad_msg_signature");
        }
        catch (Exception e) when (e is WechatXmlException or WechatCryptoException)
        {
            return Refuse(StatusCodes.Status400BadRequest, e.Message, "bad_body");
        }

        var openId = query["openid"].ToString();
        if (openId.Length > 0 && !string.Equals(openId, push.FromUserName, StringComparison.Ordinal))
        {
            return Refuse(StatusCodes.Status400BadRequest, "openid does not match FromUserName", "bad_body");
        }

        PushOutcome outcome;
        try
        {
            outcome = await pipeline.AcceptAsync(account, push, encrypted ? "aes" : "plain", plainXml, ct);
        }
        catch (Exception e) when (e is MySqlException or InvalidOperationException or TimeoutException)
        {
            // Answering 200 for a push we did not keep would lose it: 503 makes WeChat try again.
            logger.LogError(e, "Could not record push for {AppId}; answering 503", account.AppId);
            metrics.Count(account.AppId, "store_unavailable");
            return WebhookResults.Text(StatusCodes.Status503ServiceUnavailable, "temporarily unavailable");
        }

        metrics.Count(account.AppId, outcome switch
        {
            { Deferred: true } => "deferred",
            { State: PushState.New } => "accepted",
            { State: PushState.TakenOver } => "taken_over",
            _ => "retry",
        });
        var reply = outcome.ReplyXml;
        if (reply is null)
        {
            return WebhookResults.Text(StatusCodes.Status200OK, WebhookResults.Success);
        }

        return WebhookResults.Xml(encrypted && account.Crypto is not null
            ? account.Crypto.EncryptReply(reply, account.Token, time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), NewNonce())
            : reply);

        IResult Refuse(int status, string reason, string outcome)
        {
            logger.LogWarning("Push for {AppId} refused with {Status}: {Reason}", account.AppId, status, reason);
            metrics.Count(account.AppId, outcome);
            return WebhookResults.Text(status, reason);
        }
    }

    private static string Decrypt(WechatAccount account, WechatXmlDocument document, IQueryCollection query)
    {
        if (account.Crypto is null)
        {
            throw new WechatCryptoException("this account has no EncodingAESKey configured, so encrypted pushes cannot be read");
        }

        var encrypt = document["Encrypt"];
        if (string.IsNullOrEmpty(encrypt))
        {
            throw new WechatXmlException("an encrypted push must carry <Encrypt>");
        }

        if (!WechatSignature.VerifyMessage(account.Token, query["timestamp"].ToString(), query["nonce"].ToString(), encrypt, query["msg_signature"].ToString()))
        {
            throw new ForgedMessageSignatureException();
        }

        return account.Crypto.Decrypt(encrypt);
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

    private sealed class ForgedMessageSignatureException : Exception;
}

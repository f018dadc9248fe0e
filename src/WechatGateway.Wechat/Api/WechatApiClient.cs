using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace WechatGateway.Wechat.Api;

/// <summary>
/// Typed calls to the WeChat API (registered with <c>AddHttpClient</c>, behind a resilience pipeline, see
/// <see cref="WechatApiServiceCollectionExtensions.AddWechatApi"/>). A caller meets three kinds of failure:
/// <see cref="WechatApiException"/> (WeChat said no), <see cref="TimeoutException"/> (WeChat did not answer in time)
/// and <see cref="HttpRequestException"/> (WeChat could not be reached, or answered something that is not its JSON).
/// An appId without a configured AppSecret is an <see cref="InvalidOperationException"/>.
/// </summary>
/// <remarks>
/// A call that WeChat answers with a token error (40001, 40014, 42001) asks <see cref="AccessTokenManager.RefreshAsync"/>
/// once and is sent once more; a second token error is thrown. SDKs that retried until success looped forever when
/// the token could not be fixed by refreshing (WxJava #77, #1481; wechatpy #629).
/// </remarks>
public sealed partial class WechatApiClient(HttpClient http, AccessTokenManager tokens, ILogger<WechatApiClient> logger)
{
    /// <summary>The name of the HttpClient every WeChat call goes through, for adding handlers (telemetry, tests).</summary>
    public const string HttpClientName = "WechatApi";

    /// <summary><c>sns/jscode2session</c>: the mini-program login. The code is single-use (40163 on reuse), valid 5 minutes.</summary>
    public async Task<Code2SessionResult> Code2SessionAsync(string appId, string jsCode, CancellationToken ct = default)
    {
        const string api = "sns/jscode2session";
        ArgumentException.ThrowIfNullOrEmpty(jsCode);
        var secret = tokens.SecretOf(appId);
        using var request = new HttpRequestMessage(HttpMethod.Get,
            $"{api}?appid={Uri.EscapeDataString(appId)}&secret={Uri.EscapeDataString(secret)}&js_code={Uri.EscapeDataString(jsCode)}&grant_type=authorization_code");
        // A repeated GET has no second effect: at worst WeChat says 40163 for a code the lost first attempt consumed.
        request.Options.Set(WechatHttp.RetrySafe, true);
        var body = await WechatHttp.SendAsync(http, api, request, secret, ct);
        return new Code2SessionResult(
            body.RequiredString(api, "openid"),
            body.RequiredString(api, "session_key"),
            NullIfEmpty(body.OptionalString("unionid")));
    }

    /// <summary><c>wxa/business/getuserphonenumber</c>: the phone number behind a <c>getPhoneNumber</c> button code.</summary>
    /// <remarks>
    /// A POST, so never repeated on a transport failure; nor would it help: the code is single-use (40163 on reuse),
    /// so the front-end has to get a new one.
    /// </remarks>
    public async Task<PhoneNumber> GetPhoneNumberAsync(string appId, string code, CancellationToken ct = default)
    {
        const string api = "wxa/business/getuserphonenumber";
        ArgumentException.ThrowIfNullOrEmpty(code);
        var body = await SendWithTokenAsync(api, appId, token => new HttpRequestMessage(HttpMethod.Post, $"{api}?access_token={Uri.EscapeDataString(token)}")
        {
            Content = Json(new { code }),
        }, ct);

        var phone = body.TryGetProperty("phone_info", out var info) && info.ValueKind == JsonValueKind.Object
            ? info
            : throw new HttpRequestException(HttpRequestError.InvalidResponse, $"WeChat API {api} answered without 'phone_info'.");
        return new PhoneNumber(
            phone.RequiredString(api, "phoneNumber"),
            phone.RequiredString(api, "purePhoneNumber"),
            phone.RequiredString(api, "countryCode"));
    }

    /// <summary><c>cgi-bin/user/info</c> in zh_CN.</summary>
    public async Task<WechatUserInfo> GetUserInfoAsync(string appId, string openId, CancellationToken ct = default)
    {
        const string api = "cgi-bin/user/info";
        ArgumentException.ThrowIfNullOrEmpty(openId);
        var body = await SendWithTokenAsync(api, appId, token =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, $"{api}?access_token={Uri.EscapeDataString(token)}&openid={Uri.EscapeDataString(openId)}&lang=zh_CN");
            request.Options.Set(WechatHttp.RetrySafe, true);
            return request;
        }, ct);

        return ReadUserInfo(body, openId);
    }

    /// <summary>One follower of <c>user/info</c> or <c>user/info/batchget</c>.</summary>
    private static WechatUserInfo ReadUserInfo(JsonElement body, string openId)
    {
        var tagIds = new List<int>();
        if (body.TryGetProperty("tagid_list", out var tags) && tags.ValueKind == JsonValueKind.Array)
        {
            foreach (var tag in tags.EnumerateArray())
            {
                if (tag.ValueKind == JsonValueKind.Number && tag.TryGetInt32(out var id))
                {
                    tagIds.Add(id);
                }
            }
        }

        return new WechatUserInfo(
            Subscribed: body.OptionalInt64("subscribe") == 1,
            OpenId: body.OptionalString("openid") ?? openId,
            UnionId: NullIfEmpty(body.OptionalString("unionid")),
            Nickname: NullIfEmpty(body.OptionalString("nickname")),
            Language: NullIfEmpty(body.OptionalString("language")),
            SubscribeTime: body.OptionalInt64("subscribe_time"),
            SubscribeScene: NullIfEmpty(body.OptionalString("subscribe_scene")),
            // WeChat sends qr_scene 0 and qr_scene_str "" for a follow that came from no QR code.
            QrScene: body.OptionalString("qr_scene") is { Length: > 0 } scene && scene != "0" ? scene : null,
            QrSceneStr: NullIfEmpty(body.OptionalString("qr_scene_str")),
            TagIds: tagIds,
            Remark: NullIfEmpty(body.OptionalString("remark")));
    }

    /// <summary>
    /// <c>cgi-bin/message/custom/send</c>. <paramref name="message"/> is WeChat's JSON body
    /// (<c>{"touser","msgtype","text":{"content"}}</c>): any object System.Text.Json serializes, or a string of JSON.
    /// </summary>
    /// <remarks>Never retried on a transport failure: WeChat may have delivered the first attempt.</remarks>
    public async Task SendCustomMessageAsync(string appId, object message, CancellationToken ct = default) =>
        await SendMessageAsync("cgi-bin/message/custom/send", appId, message, ct);

    /// <summary><c>cgi-bin/message/template/send</c>; returns WeChat's msgid.</summary>
    /// <remarks>Never retried on a transport failure: WeChat may have delivered the first attempt.</remarks>
    public async Task<long> SendTemplateMessageAsync(string appId, object message, CancellationToken ct = default)
    {
        const string api = "cgi-bin/message/template/send";
        var body = await SendMessageAsync(api, appId, message, ct);
        return body.OptionalInt64("msgid") ?? throw new HttpRequestException(HttpRequestError.InvalidResponse, $"WeChat API {api} answered without 'msgid'.");
    }

    /// <summary><c>cgi-bin/message/subscribe/send</c>.</summary>
    /// <remarks>Never retried on a transport failure: each send spends one of the user's one-time subscriptions.</remarks>
    public async Task SendSubscribeMessageAsync(string appId, object message, CancellationToken ct = default) =>
        await SendMessageAsync("cgi-bin/message/subscribe/send", appId, message, ct);

    /// <summary>
    /// The template ids the account has added: <c>cgi-bin/template/get_all_private_template</c> (an official account's
    /// template messages, <c>template_list[].template_id</c>) or, for <paramref name="subscribe"/>,
    /// <c>wxaapi/newtmpl/gettemplate</c> (subscribe messages, <c>data[].priTmplId</c>). A template id not listed is
    /// what a send answers 40037 for.
    /// </summary>
    public async Task<IReadOnlyList<string>> GetTemplateIdsAsync(string appId, bool subscribe, CancellationToken ct = default)
    {
        var (api, list, id) = subscribe
            ? ("wxaapi/newtmpl/gettemplate", "data", "priTmplId")
            : ("cgi-bin/template/get_all_private_template", "template_list", "template_id");
        var body = await SendWithTokenAsync(api, appId, token =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, $"{api}?access_token={Uri.EscapeDataString(token)}");
            request.Options.Set(WechatHttp.RetrySafe, true);
            return request;
        }, ct);
        var ids = new List<string>();
        if (body.TryGetProperty(list, out var templates) && templates.ValueKind == JsonValueKind.Array)
        {
            foreach (var template in templates.EnumerateArray())
            {
                if (template.ValueKind == JsonValueKind.Object && template.OptionalString(id) is { Length: > 0 } templateId)
                {
                    ids.Add(templateId);
                }
            }
        }

        return ids;
    }

    /// <summary>
    /// <c>cgi-bin/qrcode/create</c> with a string scene (1 to 64 characters): a temporary <c>QR_STR_SCENE</c> code when
    /// <paramref name="expireSeconds"/> has a value (WeChat allows up to 2592000 s, 30 days), else a permanent
    /// <c>QR_LIMIT_STR_SCENE</c> one (100000 per account).
    /// </summary>
    public async Task<QrCode> CreateQrCodeAsync(string appId, string scene, int? expireSeconds, CancellationToken ct = default)
    {
        const string api = "cgi-bin/qrcode/create";
        ArgumentException.ThrowIfNullOrEmpty(scene);
        object payload = expireSeconds is { } seconds
            ? new { expire_seconds = seconds, action_name = "QR_STR_SCENE", action_info = new { scene = new { scene_str = scene } } }
            : new { action_name = "QR_LIMIT_STR_SCENE", action_info = new { scene = new { scene_str = scene } } };
        var body = await SendWithTokenAsync(api, appId, token => new HttpRequestMessage(HttpMethod.Post, $"{api}?access_token={Uri.EscapeDataString(token)}")
        {
            Content = Json(payload),
        }, ct);

        var expires = body.OptionalInt64("expire_seconds");
        return new QrCode(body.RequiredString(api, "ticket"), expires is { } e ? (int)e : null, body.RequiredString(api, "url"));
    }

    /// <summary>
    /// <c>cgi-bin/media/upload?type=</c> (image, voice, video or thumb), the file in the multipart field <c>media</c>.
    /// The content is read once into memory (WeChat's limits are 10 MB), so the token retry can send it again.
    /// </summary>
    public async Task<UploadedMedia> UploadMediaAsync(string appId, string type, Stream content, string fileName, CancellationToken ct = default)
    {
        const string api = "cgi-bin/media/upload";
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentNullException.ThrowIfNull(content);
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        byte[] bytes;
        using (var buffer = new MemoryStream())
        {
            await content.CopyToAsync(buffer, ct);
            bytes = buffer.ToArray();
        }

        var body = await SendWithTokenAsync(api, appId, token => new HttpRequestMessage(HttpMethod.Post, $"{api}?access_token={Uri.EscapeDataString(token)}&type={Uri.EscapeDataString(type)}")
        {
            Content = MediaForm(bytes, fileName),
        }, ct);

        return new UploadedMedia(
            body.RequiredString(api, "type"),
            body.RequiredString(api, "media_id"),
            body.OptionalInt64("created_at") ?? 0);
    }

    private async Task<JsonElement> SendMessageAsync(string api, string appId, object message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        return await SendWithTokenAsync(api, appId, token => new HttpRequestMessage(HttpMethod.Post, $"{api}?access_token={Uri.EscapeDataString(token)}")
        {
            Content = message is string json ? new StringContent(json, Encoding.UTF8, "application/json") : Json(message),
        }, ct);
    }

    /// <summary>Sends with the current token; on a token error, refreshes once and sends once more.</summary>
    /// <param name="build">Builds the request for a token; called again for the retry, as a sent request cannot be reused.</param>
    private async Task<JsonElement> SendWithTokenAsync(string api, string appId, Func<string, HttpRequestMessage> build, CancellationToken ct)
    {
        var token = await tokens.GetAsync(appId, ct);
        try
        {
            using var request = build(token);
            return await WechatHttp.SendAsync(http, api, request, token, ct);
        }
        catch (WechatApiException e) when (e.IsTokenError)
        {
            logger.LogWarning("WeChat refused the access_token of {AppId} on {Api} (errcode {ErrorCode}); refreshing it and retrying once", appId, api, e.ErrorCode);
            var fresh = await tokens.RefreshAsync(appId, token, ct);
            using var retry = build(fresh);
            return await WechatHttp.SendAsync(http, api, retry, fresh, ct);
        }
    }

    private static JsonContent Json(object value) => JsonContent.Create(value, value.GetType(), options: WechatHttp.SerializerOptions);

    /// <summary>
    /// The multipart body as WeChat's documented requests write it (<c>curl -F media=@file</c>; WeCom's raw example:
    /// an unquoted boundary, <c>name="media"; filename="..."</c>). .NET's defaults (a quoted boundary, an unquoted name,
    /// an extra <c>filename*</c>) are legal but some servers parse them differently (dotnet/runtime#57056).
    /// </summary>
    private static MultipartFormDataContent MediaForm(byte[] bytes, string fileName)
    {
        var boundary = "----wg" + Guid.NewGuid().ToString("N");
        var form = new MultipartFormDataContent(boundary);
        form.Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/form-data; boundary={boundary}");
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        file.Headers.ContentDisposition = new ContentDispositionHeaderValue("form-data")
        {
            Name = "\"media\"",
            FileName = "\"" + fileName.Replace("\"", "", StringComparison.Ordinal) + "\"",
        };
        form.Add(file);
        return form;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

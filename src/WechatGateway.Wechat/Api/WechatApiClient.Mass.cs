using System.Text.Json;

namespace WechatGateway.Wechat.Api;

/// <summary>群发 (mass send): to every follower or a tag, to an OpenID list, a preview, and a send's status.</summary>
public sealed partial class WechatApiClient
{
    /// <summary>The most OpenIDs one <c>message/mass/send</c> takes (and the fewest is 2).</summary>
    public const int MassSendMaxOpenIds = 10_000;

    /// <summary>
    /// <c>cgi-bin/message/mass/sendall</c> to every follower (<paramref name="tagId"/> null, <c>is_to_all</c>) or to a tag.
    /// <paramref name="clientMsgId"/> makes the call safe to repeat: WeChat answers a second call with the same one by
    /// 45065 and the first send's msg_id, which comes back here as <see cref="MassSendResult.Repeated"/>.
    /// </summary>
    public Task<MassSendResult> MassSendAllAsync(string appId, int? tagId, MassMessage message, string clientMsgId, CancellationToken ct = default)
    {
        var body = message.ToJson();
        body["filter"] = tagId is { } id ? new Dictionary<string, object> { ["is_to_all"] = false, ["tag_id"] = id } : new Dictionary<string, object> { ["is_to_all"] = true };
        body["clientmsgid"] = clientMsgId;
        return MassAsync("cgi-bin/message/mass/sendall", appId, body, ct);
    }

    /// <summary><c>cgi-bin/message/mass/send</c> to 2 to 10,000 OpenIDs (service accounts only); see <see cref="MassSendAllAsync"/> for <paramref name="clientMsgId"/>.</summary>
    public Task<MassSendResult> MassSendAsync(string appId, IReadOnlyList<string> openIds, MassMessage message, string clientMsgId, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(openIds.Count, 2, nameof(openIds));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(openIds.Count, MassSendMaxOpenIds, nameof(openIds));
        var body = message.ToJson();
        body["touser"] = openIds;
        body["clientmsgid"] = clientMsgId;
        return MassAsync("cgi-bin/message/mass/send", appId, body, ct);
    }

    /// <summary><c>cgi-bin/message/mass/preview</c>: the message to one follower, as the mass send will show it; counts toward no limit.</summary>
    public Task<MassSendResult> MassPreviewAsync(string appId, string openId, MassMessage message, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(openId);
        var body = message.ToJson();
        body["touser"] = openId;
        return MassAsync("cgi-bin/message/mass/preview", appId, body, ct);
    }

    /// <summary><c>cgi-bin/message/mass/get</c>: <c>SEND_SUCCESS</c>, <c>SENDING</c>, <c>SEND_FAIL</c> or <c>DELETE</c>.</summary>
    public async Task<string> GetMassStatusAsync(string appId, long msgId, CancellationToken ct = default)
    {
        const string api = "cgi-bin/message/mass/get";
        var body = await SendWithTokenAsync(api, appId, token =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"{api}?access_token={Uri.EscapeDataString(token)}") { Content = Json(new { msg_id = msgId }) };
            request.Options.Set(WechatHttp.RetrySafe, true);
            return request;
        }, ct);
        return body.RequiredString(api, "msg_status");
    }

    /// <summary>
    /// <c>cgi-bin/media/uploadnews</c>: an article (title, content, cover) for an <c>mpnews</c> mass send; returns its media_id.
    /// </summary>
    public async Task<string> UploadNewsAsync(string appId, IReadOnlyList<NewsArticle> articles, CancellationToken ct = default)
    {
        const string api = "cgi-bin/media/uploadnews";
        ArgumentOutOfRangeException.ThrowIfZero(articles.Count, nameof(articles));
        var payload = new
        {
            articles = articles.Select(a => new { thumb_media_id = a.ThumbMediaId, author = a.Author, title = a.Title, content_source_url = a.SourceUrl, content = a.Content, digest = a.Digest, show_cover_pic = 1 }).ToArray(),
        };
        var body = await SendWithTokenAsync(api, appId, token => new HttpRequestMessage(HttpMethod.Post, $"{api}?access_token={Uri.EscapeDataString(token)}") { Content = Json(payload) }, ct);
        return body.RequiredString(api, "media_id");
    }

    /// <remarks>Never repeated on a transport failure by the pipeline; the caller repeats it with the same clientmsgid.</remarks>
    private async Task<MassSendResult> MassAsync(string api, string appId, Dictionary<string, object> payload, CancellationToken ct)
    {
        try
        {
            var body = await SendWithTokenAsync(api, appId, token => new HttpRequestMessage(HttpMethod.Post, $"{api}?access_token={Uri.EscapeDataString(token)}") { Content = Json(payload) }, ct);
            return new MassSendResult(body.OptionalInt64("msg_id") ?? throw new HttpRequestException(HttpRequestError.InvalidResponse, $"WeChat API {api} answered without 'msg_id'."),
                body.OptionalInt64("msg_data_id"), Repeated: false);
        }
        catch (WechatApiException e) when (e.Code == WechatErrorCode.ClientMsgIdExists && e.Answer.ValueKind == JsonValueKind.Object && e.Answer.OptionalInt64("msg_id") is { } earlier)
        {
            return new MassSendResult(earlier, null, Repeated: true);
        }
    }
}

/// <summary>
/// A mass-send message: <c>text</c> (<see cref="Content"/>), <c>image</c> or <c>mpnews</c> (<see cref="MediaId"/>: an
/// image material or an article from <see cref="WechatApiClient.UploadNewsAsync"/>).
/// </summary>
public sealed record MassMessage(string MsgType, string? Content = null, string? MediaId = null)
{
    public static MassMessage Text(string content) => new("text", Content: content);

    public static MassMessage Image(string mediaId) => new("image", MediaId: mediaId);

    public static MassMessage News(string mediaId) => new("mpnews", MediaId: mediaId);

    internal Dictionary<string, object> ToJson()
    {
        var body = new Dictionary<string, object> { ["msgtype"] = MsgType };
        switch (MsgType)
        {
            case "text":
                body["text"] = new { content = Content ?? throw new InvalidOperationException("A text mass send needs content.") };
                break;
            case "image" or "mpnews":
                body[MsgType] = new { media_id = MediaId ?? throw new InvalidOperationException($"A {MsgType} mass send needs a media_id.") };
                // 0: when WeChat finds the article is a reprint, it stops the send rather than sending it anyway.
                if (MsgType == "mpnews")
                {
                    body["send_ignore_reprint"] = 0;
                }

                break;
            default:
                throw new InvalidOperationException($"Mass send type '{MsgType}' is not text, image or mpnews.");
        }

        return body;
    }
}

/// <summary>
/// The mass send WeChat took: <see cref="MsgId"/> names it in <c>mass/get</c> and its MASSSENDJOBFINISH report;
/// <see cref="Repeated"/> when the clientmsgid had been sent before (the earlier send, not a second one).
/// </summary>
public sealed record MassSendResult(long MsgId, long? MsgDataId, bool Repeated);

/// <summary>One article of <c>media/uploadnews</c>; the cover is a thumb uploaded with <c>media/upload</c>.</summary>
public sealed record NewsArticle(string Title, string Content, string ThumbMediaId, string? Author = null, string? Digest = null, string? SourceUrl = null);

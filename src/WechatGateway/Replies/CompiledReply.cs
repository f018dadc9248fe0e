using System.Text;
using System.Text.Json.Nodes;
using Fluid;
using WechatGateway.Wechat.Messages;

namespace WechatGateway.Replies;

/// <summary>A reply rendered for one member and one push: plain values, ready for WeChat.</summary>
public sealed record RenderedReply(ReplyBody Body, string? Content, IReadOnlyList<NewsArticle> Articles, string? Url, IReadOnlyDictionary<string, string> Data)
{
    /// <summary>The passive reply XML (text, image, news), addressed back to the push's sender.</summary>
    public string ToPassiveXml(WechatPush push, DateTimeOffset now) => Body.Type switch
    {
        ReplyBody.Text => WechatReply.Text(push.FromUserName, push.ToUserName, Content ?? "", now),
        ReplyBody.Image => WechatReply.Image(push.FromUserName, push.ToUserName, Body.MediaId ?? "", now),
        ReplyBody.News => WechatReply.News(push.FromUserName, push.ToUserName, Articles, now),
        _ => throw new InvalidOperationException($"A {Body.Type} reply is sent through the API, not in the response."),
    };

    /// <summary>
    /// The body of the send API for this reply (access_token aside): customer-service message
    /// (<c>message/custom/send</c>) for text, image and news; <c>message/template/send</c>; <c>message/subscribe/send</c>.
    /// </summary>
    public string ToSendBody(string toUser)
    {
        var body = new JsonObject { ["touser"] = toUser };
        switch (Body.Type)
        {
            case ReplyBody.Text:
                body["msgtype"] = "text";
                body["text"] = new JsonObject { ["content"] = Content };
                break;
            case ReplyBody.Image:
                body["msgtype"] = "image";
                body["image"] = new JsonObject { ["media_id"] = Body.MediaId };
                break;
            case ReplyBody.News:
                // The customer-service API takes one article, with its picture as picurl.
                var article = Articles[0];
                body["msgtype"] = "news";
                body["news"] = new JsonObject
                {
                    ["articles"] = new JsonArray(new JsonObject { ["title"] = article.Title, ["description"] = article.Description, ["url"] = article.Url, ["picurl"] = article.PicUrl }),
                };
                break;
            case ReplyBody.Template:
                body["template_id"] = Body.WechatTemplateId;
                if (Body.MiniProgram is { AppId: { } appId })
                {
                    body["miniprogram"] = new JsonObject { ["appid"] = appId, ["pagepath"] = Body.MiniProgram.PagePath };
                }
                else if (Url is not null)
                {
                    body["url"] = Url;
                }

                body["data"] = DataNode();
                break;
            case ReplyBody.Subscribe:
                body["template_id"] = Body.WechatTemplateId;
                if (Body.Page is not null)
                {
                    body["page"] = Body.Page;
                }

                body["data"] = DataNode();
                break;
        }

        return body.ToJsonString();
    }

    private JsonObject DataNode()
    {
        var data = new JsonObject();
        foreach (var (key, value) in Data)
        {
            data[key] = new JsonObject { ["value"] = value };
        }

        return data;
    }
}

/// <summary>
/// A <see cref="ReplyBody"/> checked and parsed once, when saved or loaded: every Liquid field compiled, required
/// fields present, lengths within what WeChat accepts. Rendering it cannot fail on syntax; only on limits.
/// </summary>
public sealed class CompiledReply
{
    /// <summary>WeChat's limit on a text message (2048 bytes of UTF-8); longer text is cut at a character boundary.</summary>
    public const int MaxTextBytes = 2048;

    /// <summary>A news article's title as WeChat shows it (64 characters); longer titles are cut.</summary>
    public const int MaxTitleLength = 64;

    /// <summary>A news article's description (WeChat's 120-character digest); longer ones are cut.</summary>
    public const int MaxDescriptionLength = 120;

    /// <summary>One keyword value of a template or subscribe message (WeChat refuses longer ones); longer values are cut.</summary>
    public const int MaxDataValueLength = 200;

    /// <summary>A link in a news article or template message. A cut link would lead elsewhere, so a longer one fails the render.</summary>
    public const int MaxUrlLength = 1024;

    private const string Ellipsis = "…";

    private readonly LiquidTemplates _liquid;
    private readonly IFluidTemplate? _content;
    private readonly IFluidTemplate? _url;
    private readonly List<(IFluidTemplate Title, IFluidTemplate Description, string PicUrl, IFluidTemplate Url)> _articles = [];
    private readonly List<(string Key, IFluidTemplate Value)> _data = [];

    private CompiledReply(ReplyBody body, LiquidTemplates liquid, bool knownFieldsOnly)
    {
        Body = body;
        _liquid = liquid;
        IFluidTemplate Liquid(string field, string source) => liquid.Compile(field, source, knownFieldsOnly);

        // A reply that never reads the member is rendered without looking the member up: no query in the request.
        UsesMember = System.Text.Json.JsonSerializer.Serialize(body).Contains("member", StringComparison.Ordinal);
        switch (body.Type)
        {
            case ReplyBody.Text:
                _content = Liquid("content", Required(body.Content, "content", "a text reply needs content"));
                break;
            case ReplyBody.Image:
                Required(body.MediaId, "mediaId", "an image reply needs the mediaId of an uploaded image");
                break;
            case ReplyBody.News:
                if (body.Articles is not { Count: >= 1 and <= WechatReply.MaxNewsArticles })
                {
                    throw new ReplyValidationException("articles", $"a news reply needs 1 to {WechatReply.MaxNewsArticles} articles");
                }

                for (var i = 0; i < body.Articles.Count; i++)
                {
                    var a = body.Articles[i];
                    _articles.Add((
                        Liquid($"articles[{i}].title", Required(a.Title, $"articles[{i}].title", "an article needs a title")),
                        Liquid($"articles[{i}].description", a.Description ?? ""),
                        a.PicUrl ?? "",
                        Liquid($"articles[{i}].url", Required(a.Url, $"articles[{i}].url", "an article needs a url"))));
                }

                break;
            case ReplyBody.Template or ReplyBody.Subscribe:
                Required(body.WechatTemplateId, "wechatTemplateId", "the template's id from the WeChat console is required");
                if (body.Data is not { Count: > 0 })
                {
                    throw new ReplyValidationException("data", "the template's keywords (data) are required");
                }

                foreach (var (key, value) in body.Data)
                {
                    _data.Add((key, Liquid($"data.{key}", value ?? "")));
                }

                if (body.Url is not null)
                {
                    _url = Liquid("url", body.Url);
                }

                break;
            default:
                throw new ReplyValidationException("type", $"type must be one of {string.Join(", ", ReplyBody.Types)}");
        }
    }

    public ReplyBody Body { get; }

    /// <summary>Whether any of the reply's Liquid mentions <c>member</c>.</summary>
    public bool UsesMember { get; }

    /// <summary>
    /// A reply being saved reads only fields the model has; a stored one (<paramref name="knownFieldsOnly"/> false) was
    /// saved before unknown fields were refused, and keeps answering with them blank rather than stop answering.
    /// </summary>
    /// <exception cref="ReplyValidationException">The reply cannot be sent as written.</exception>
    public static CompiledReply Compile(ReplyBody? body, LiquidTemplates liquid, bool knownFieldsOnly = true) =>
        new(body ?? throw new ReplyValidationException("reply", "a reply is required"), liquid, knownFieldsOnly);

    /// <exception cref="ReplyRenderException">The reply went past a bound of the render, or its link past <see cref="MaxUrlLength"/>.</exception>
    public async Task<RenderedReply> RenderAsync(ReplyModel model)
    {
        var content = _content is null ? null : CutToBytes(await _liquid.RenderAsync("content", _content, model, MaxTextBytes), MaxTextBytes);
        var articles = new List<NewsArticle>(_articles.Count);
        for (var i = 0; i < _articles.Count; i++)
        {
            var (title, description, picUrl, url) = _articles[i];
            articles.Add(new NewsArticle(
                await CutAsync($"articles[{i}].title", title, model, MaxTitleLength),
                await CutAsync($"articles[{i}].description", description, model, MaxDescriptionLength),
                picUrl,
                await UrlAsync($"articles[{i}].url", url, model)));
        }

        var data = new Dictionary<string, string>(_data.Count);
        foreach (var (key, value) in _data)
        {
            data[key] = await CutAsync($"data.{key}", value, model, MaxDataValueLength);
        }

        return new RenderedReply(Body, content, articles, _url is null ? null : await UrlAsync("url", _url, model), data);
    }

    private async Task<string> CutAsync(string field, IFluidTemplate template, ReplyModel model, int maxLength)
    {
        var text = await _liquid.RenderAsync(field, template, model, maxLength);
        return text.Length <= maxLength ? text : string.Concat(text.AsSpan(0, maxLength - 1), Ellipsis);
    }

    private async Task<string> UrlAsync(string field, IFluidTemplate template, ReplyModel model)
    {
        var url = await _liquid.RenderAsync(field, template, model, MaxUrlLength);
        return url.Length <= MaxUrlLength ? url : throw new ReplyRenderException(field, $"the link is longer than {MaxUrlLength} characters");
    }

    private static string Required(string? value, string field, string message) =>
        string.IsNullOrWhiteSpace(value) ? throw new ReplyValidationException(field, message) : value;

    private static string CutToBytes(string text, int maxBytes)
    {
        if (Encoding.UTF8.GetByteCount(text) <= maxBytes)
        {
            return text;
        }

        var budget = maxBytes - Encoding.UTF8.GetByteCount(Ellipsis);
        var length = 0;
        var bytes = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (bytes + rune.Utf8SequenceLength > budget)
            {
                break;
            }

            bytes += rune.Utf8SequenceLength;
            length += rune.Utf16SequenceLength;
        }

        return text[..length] + Ellipsis;
    }
}

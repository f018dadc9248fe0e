using System.Text;

namespace WechatGateway.Wechat.Messages;

/// <summary>One article of a news (图文) reply.</summary>
public sealed record NewsArticle(string Title, string Description, string PicUrl, string Url);

/// <summary>
/// Passive replies (被动回复用户消息): the XML returned in the HTTP response to a push, within WeChat's 5-second
/// window. ToUserName is the user's OpenID and FromUserName the account's original ID, i.e. the push's two names
/// swapped. Strings go into CDATA as in WeChat's samples; CreateTime is in seconds.
/// In safe mode the result is then wrapped by <see cref="Security.WechatMessageCrypto.EncryptReply"/>.
/// </summary>
public static class WechatReply
{
    /// <summary>WeChat accepted up to 8 articles in a passive news reply until 2018; it now shows only 1.</summary>
    public const int MaxNewsArticles = 8;

    public static string Text(string toUser, string fromUser, string content, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(content);
        return Envelope(toUser, fromUser, "text", now).AppendElement("Content", content).Append("</xml>").ToString();
    }

    public static string Image(string toUser, string fromUser, string mediaId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(mediaId);
        return Envelope(toUser, fromUser, "image", now)
            .Append("<Image>").AppendElement("MediaId", mediaId).Append("</Image></xml>")
            .ToString();
    }

    public static string Voice(string toUser, string fromUser, string mediaId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(mediaId);
        return Envelope(toUser, fromUser, "voice", now)
            .Append("<Voice>").AppendElement("MediaId", mediaId).Append("</Voice></xml>")
            .ToString();
    }

    /// <summary>Title and description are optional in WeChat's video reply; null leaves the element out.</summary>
    public static string Video(string toUser, string fromUser, string mediaId, string? title, string? description, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(mediaId);
        return Envelope(toUser, fromUser, "video", now)
            .Append("<Video>")
            .AppendElement("MediaId", mediaId)
            .AppendOptionalElement("Title", title)
            .AppendOptionalElement("Description", description)
            .Append("</Video></xml>")
            .ToString();
    }

    /// <summary>Only the thumbnail is required in WeChat's music reply; null leaves an optional element out.</summary>
    public static string Music(
        string toUser,
        string fromUser,
        string? title,
        string? description,
        string? musicUrl,
        string? hqMusicUrl,
        string thumbMediaId,
        DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(thumbMediaId);
        return Envelope(toUser, fromUser, "music", now)
            .Append("<Music>")
            .AppendOptionalElement("Title", title)
            .AppendOptionalElement("Description", description)
            .AppendOptionalElement("MusicUrl", musicUrl)
            .AppendOptionalElement("HQMusicUrl", hqMusicUrl)
            .AppendElement("ThumbMediaId", thumbMediaId)
            .Append("</Music></xml>")
            .ToString();
    }

    /// <summary>
    /// A news reply. WeChat has shown a single article in passive replies since 2018 (formerly up to 8); 1 to 8
    /// are accepted so older configurations still produce a valid reply.
    /// </summary>
    public static string News(string toUser, string fromUser, IReadOnlyList<NewsArticle> articles, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(articles);
        if (articles.Count is < 1 or > MaxNewsArticles)
        {
            throw new ArgumentException(
                $"A news reply carries 1 to {MaxNewsArticles} articles, not {articles.Count}.", nameof(articles));
        }

        var xml = Envelope(toUser, fromUser, "news", now)
            .AppendElement("ArticleCount", articles.Count)
            .Append("<Articles>");
        foreach (var article in articles)
        {
            ArgumentNullException.ThrowIfNull(article, nameof(articles));
            xml.Append("<item>")
                .AppendElement("Title", article.Title)
                .AppendElement("Description", article.Description)
                .AppendElement("PicUrl", article.PicUrl)
                .AppendElement("Url", article.Url)
                .Append("</item>");
        }

        return xml.Append("</Articles></xml>").ToString();
    }

    private static StringBuilder Envelope(string toUser, string fromUser, string msgType, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrEmpty(toUser);
        ArgumentException.ThrowIfNullOrEmpty(fromUser);
        return new StringBuilder(256)
            .Append("<xml>")
            .AppendElement("ToUserName", toUser)
            .AppendElement("FromUserName", fromUser)
            .AppendElement("CreateTime", now.ToUnixTimeSeconds())
            .AppendElement("MsgType", msgType);
    }

    private static StringBuilder AppendOptionalElement(this StringBuilder builder, string name, string? text) =>
        text is null ? builder : builder.AppendElement(name, text);
}

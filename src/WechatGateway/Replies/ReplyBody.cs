using System.Text.Json.Serialization;

namespace WechatGateway.Replies;

/// <summary>
/// What a reply says, as HQ authors it: the type and, for each text field, a Liquid template over the member and the
/// triggering message (see <see cref="ReplyModel"/>). Stored as JSON with templates and rules; also the API shape.
/// </summary>
/// <param name="Type"><c>text</c>, <c>image</c> (a media id), <c>news</c> (one article), <c>template</c> (a template
/// message) or <c>subscribe</c> (a mini-program subscribe message).</param>
/// <param name="Content">text: the message.</param>
/// <param name="MediaId">image: an uploaded media id.</param>
/// <param name="Articles">news: the articles (WeChat shows one; passive replies accept up to 8 in old clients).</param>
/// <param name="WechatTemplateId">template / subscribe: the template's id in the WeChat console.</param>
/// <param name="Url">template: the page opened on tap.</param>
/// <param name="MiniProgram">template: the mini-program page opened on tap, instead of <paramref name="Url"/>.</param>
/// <param name="Page">subscribe: the mini-program page opened on tap.</param>
/// <param name="Data">template / subscribe: the value of each keyword (first, keyword1, thing1 …), each a Liquid template.</param>
public sealed record ReplyBody(
    string? Type,
    string? Content = null,
    string? MediaId = null,
    IReadOnlyList<ReplyArticle>? Articles = null,
    string? WechatTemplateId = null,
    string? Url = null,
    MiniProgramPage? MiniProgram = null,
    string? Page = null,
    IReadOnlyDictionary<string, string>? Data = null)
{
    public const string Text = "text";
    public const string Image = "image";
    public const string News = "news";
    public const string Template = "template";
    public const string Subscribe = "subscribe";

    public static readonly string[] Types = [Text, Image, News, Template, Subscribe];

    /// <summary>Text, image and news can be answered in the HTTP response; template and subscribe messages are API sends.</summary>
    [JsonIgnore]
    public bool CanBePassive => Type is Text or Image or News;
}

public sealed record ReplyArticle(string? Title, string? Description, string? PicUrl, string? Url);

public sealed record MiniProgramPage(string? AppId, string? PagePath);

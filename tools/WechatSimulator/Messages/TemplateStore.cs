using System.Text.Json.Serialization;

using WechatSimulator.Wechat;

namespace WechatSimulator.Messages;

/// <summary>A template an account has added in the WeChat console: <c>template</c> (模板消息) or <c>subscribe</c> (订阅消息).</summary>
public sealed record SimTemplate(
    [property: JsonPropertyName("appid")] string AppId,
    [property: JsonPropertyName("templateId")] string TemplateId,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("title")] string Title);

/// <summary>
/// The templates of each account and the one-time subscribe consents users gave. An account with no template of a kind
/// registered accepts any template id of that kind, so tests that do not model templates keep working; once one is
/// registered, an unknown id answers 40037 and a subscribe template needs a consent per send (43101), as on WeChat.
/// </summary>
public sealed class TemplateStore
{
    public const string Template = "template";
    public const string Subscribe = "subscribe";

    private readonly Lock _lock = new();
    private readonly List<SimTemplate> _templates = [];
    private readonly Dictionary<(string AppId, string OpenId, string TemplateId), int> _consents = [];

    public SimTemplate Add(SimTemplate template)
    {
        lock (_lock)
        {
            _templates.RemoveAll(t => t.AppId == template.AppId && t.TemplateId == template.TemplateId);
            _templates.Add(template);
            return template;
        }
    }

    public IReadOnlyList<SimTemplate> List(string? appId, string? kind)
    {
        lock (_lock)
        {
            return [.. _templates.Where(t => (appId is null || t.AppId == appId) && (kind is null || t.Kind == kind))];
        }
    }

    /// <summary>40037 for a template id an account with registered templates of that kind does not have; null otherwise.</summary>
    public int? Check(string appId, string kind, string templateId)
    {
        lock (_lock)
        {
            var ofKind = _templates.Where(t => t.AppId == appId && t.Kind == kind).ToList();
            return ofKind.Count == 0 || ofKind.Any(t => t.TemplateId == templateId) ? null : WechatErrors.InvalidTemplateId;
        }
    }

    /// <summary>The user accepted the template <paramref name="count"/> times (each accept in a popup is one send).</summary>
    public int Grant(string appId, string openId, string templateId, int count)
    {
        lock (_lock)
        {
            var key = (appId, openId, templateId);
            return _consents[key] = _consents.GetValueOrDefault(key) + count;
        }
    }

    /// <summary>
    /// Spends one consent for a registered subscribe template; 43101 when the user has none left. A template not
    /// registered is not checked (see the class remarks).
    /// </summary>
    public int? TrySpend(string appId, string openId, string templateId)
    {
        lock (_lock)
        {
            if (!_templates.Any(t => t.AppId == appId && t.Kind == Subscribe && t.TemplateId == templateId))
            {
                return null;
            }

            var key = (appId, openId, templateId);
            if (_consents.GetValueOrDefault(key) <= 0)
            {
                return WechatErrors.UserRefusedMessage;
            }

            _consents[key]--;
            return null;
        }
    }

    public int Consents(string appId, string openId, string templateId)
    {
        lock (_lock)
        {
            return _consents.GetValueOrDefault((appId, openId, templateId));
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _templates.Clear();
            _consents.Clear();
        }
    }
}

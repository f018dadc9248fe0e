using System.Text;

namespace WechatGateway.Wechat.Api;

/// <summary>
/// A custom-menu button (<c>cgi-bin/menu/create</c>): a top button with <see cref="SubButtons"/> and no type, or a
/// button of one of <see cref="MenuButtonTypes"/>.
/// </summary>
/// <param name="Key">click, scancode_push, location_select: what the event's <c>EventKey</c> carries.</param>
/// <param name="Url">view: the page; miniprogram: the page clients without mini-program support open.</param>
/// <param name="AppId">miniprogram: the mini-program (linked to the official account).</param>
/// <param name="PagePath">miniprogram: the page to open.</param>
public sealed record MenuButton(
    string Name,
    string? Type = null,
    string? Key = null,
    string? Url = null,
    string? AppId = null,
    string? PagePath = null,
    IReadOnlyList<MenuButton>? SubButtons = null);

/// <summary>A conditional (personalised) menu's match rule (<c>cgi-bin/menu/addconditional</c>): the followers of one WeChat tag.</summary>
public sealed record MenuMatchRule(string TagId);

/// <summary><c>cgi-bin/get_current_selfmenu_info</c>: the menu WeChat serves now, set through the API or the MP backend.</summary>
public sealed record CurrentMenu(bool IsMenuOpen, IReadOnlyList<MenuButton> Buttons);

/// <summary>A rule of WeChat's a menu breaks, with the errcode WeChat would answer for it.</summary>
/// <param name="Path">Where: <c>buttons[1].subButtons[0].name</c>.</param>
public sealed record MenuViolation(int Errcode, string Path, string Rule)
{
    public override string ToString() => $"{Path}: {Rule} (WeChat errcode {Errcode})";
}

/// <summary>The button types the gateway edits (WeChat has more: media_id, article_id, pic_* ...).</summary>
public static class MenuButtonTypes
{
    public const string Click = "click";
    public const string View = "view";
    public const string MiniProgram = "miniprogram";
    public const string ScanCodePush = "scancode_push";
    public const string LocationSelect = "location_select";

    public static readonly IReadOnlyList<string> All = [Click, View, MiniProgram, ScanCodePush, LocationSelect];

    /// <summary>The types whose click is pushed to the account as an event carrying the button's key.</summary>
    public static bool HasKey(string type) => type is Click or ScanCodePush or LocationSelect;
}

/// <summary>
/// WeChat's rules for <c>menu/create</c> and <c>menu/addconditional</c> (developers.weixin.qq.com, "Create a custom
/// menu"), checked before calling it so that a bad menu is refused with the rule's name instead of WeChat's bare errcode.
/// </summary>
public static class MenuRules
{
    public const int MaxButtons = 3;
    public const int MaxSubButtons = 5;
    public const int MaxNameBytes = 16;
    public const int MaxSubNameBytes = 60;
    public const int MaxKeyBytes = 128;
    public const int MaxUrlBytes = 1024;

    // WeChat's errcodes for each rule: a top button's and a sub-button's are distinct numbers.
    private sealed record Codes(int Count, int Type, int Name, int Key, int Url);

    private static readonly Codes Top = new(40016, 40017, 40018, 40019, 40020);
    private static readonly Codes Sub = new(40023, 40024, 40025, 40026, 40027);
    private const int NestedTooDeep = 40022;
    private const int InvalidPagePath = 40165;
    private const int InvalidUrl = 65317;

    /// <summary>The first rule <paramref name="buttons"/> break, or null for a menu WeChat accepts.</summary>
    public static MenuViolation? Check(IReadOnlyList<MenuButton>? buttons)
    {
        if (buttons is not { Count: >= 1 and <= MaxButtons })
        {
            return new(Top.Count, "buttons", $"a menu has 1 to {MaxButtons} top buttons");
        }

        for (var i = 0; i < buttons.Count; i++)
        {
            var button = buttons[i];
            var path = $"buttons[{i}]";
            if (button.SubButtons is { Count: > 0 } subs)
            {
                if (NameRule(button, path, MaxNameBytes, Top) is { } badName)
                {
                    return badName;
                }

                if (button.Type is not null)
                {
                    return new(Top.Type, $"{path}.type", "a button with sub-buttons has no type of its own");
                }

                if (subs.Count > MaxSubButtons)
                {
                    return new(Sub.Count, $"{path}.subButtons", $"a top button has at most {MaxSubButtons} sub-buttons");
                }

                for (var j = 0; j < subs.Count; j++)
                {
                    var subPath = $"{path}.subButtons[{j}]";
                    if (subs[j].SubButtons is { Count: > 0 })
                    {
                        return new(NestedTooDeep, $"{subPath}.subButtons", "sub-buttons have no sub-buttons (two levels at most)");
                    }

                    if (ActionRule(subs[j], subPath, MaxSubNameBytes, Sub) is { } badSub)
                    {
                        return badSub;
                    }
                }
            }
            else if (ActionRule(button, path, MaxNameBytes, Top) is { } bad)
            {
                return bad;
            }
        }

        return null;
    }

    private static MenuViolation? NameRule(MenuButton button, string path, int maxBytes, Codes codes) =>
        string.IsNullOrWhiteSpace(button.Name) || Encoding.UTF8.GetByteCount(button.Name) > maxBytes
            ? new(codes.Name, $"{path}.name", $"a name is 1 to {maxBytes} bytes of UTF-8 (a Chinese character is 3)")
            : null;

    private static MenuViolation? ActionRule(MenuButton button, string path, int maxNameBytes, Codes codes)
    {
        if (NameRule(button, path, maxNameBytes, codes) is { } badName)
        {
            return badName;
        }

        if (button.Type is not { } type || !MenuButtonTypes.All.Contains(type))
        {
            return new(codes.Type, $"{path}.type", $"type is one of {string.Join(", ", MenuButtonTypes.All)} (or give sub-buttons)");
        }

        if (MenuButtonTypes.HasKey(type) && (string.IsNullOrEmpty(button.Key) || Encoding.UTF8.GetByteCount(button.Key) > MaxKeyBytes))
        {
            return new(codes.Key, $"{path}.key", $"a {type} button has a key of 1 to {MaxKeyBytes} bytes");
        }

        if (type is MenuButtonTypes.View or MenuButtonTypes.MiniProgram)
        {
            if (string.IsNullOrEmpty(button.Url) || Encoding.UTF8.GetByteCount(button.Url) > MaxUrlBytes)
            {
                return new(codes.Url, $"{path}.url", $"a {type} button has a url of 1 to {MaxUrlBytes} bytes");
            }

            if (!Uri.TryCreate(button.Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            {
                return new(InvalidUrl, $"{path}.url", "a url is an absolute http or https address");
            }
        }

        if (type == MenuButtonTypes.MiniProgram && (string.IsNullOrEmpty(button.AppId) || string.IsNullOrEmpty(button.PagePath)))
        {
            return new(InvalidPagePath, string.IsNullOrEmpty(button.AppId) ? $"{path}.appId" : $"{path}.pagePath", "a miniprogram button names the mini-program's appId and a pagePath");
        }

        return null;
    }
}

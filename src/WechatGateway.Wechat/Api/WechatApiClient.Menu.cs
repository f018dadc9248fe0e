using System.Text.Json;

namespace WechatGateway.Wechat.Api;

/// <summary>The custom-menu APIs of an official account (developers.weixin.qq.com, "Custom menus").</summary>
public sealed partial class WechatApiClient
{
    /// <summary>
    /// <c>cgi-bin/menu/create</c>: replaces the default menu. WeChat's clients fetch it again within 5 minutes of opening
    /// the account.
    /// </summary>
    public async Task CreateMenuAsync(string appId, IReadOnlyList<MenuButton> buttons, CancellationToken ct = default)
    {
        const string api = "cgi-bin/menu/create";
        await SendWithTokenAsync(api, appId, token => new HttpRequestMessage(HttpMethod.Post, $"{api}?access_token={Uri.EscapeDataString(token)}")
        {
            Content = Json(new { button = buttons.Select(Wire).ToList() }),
        }, ct);
    }

    /// <summary>
    /// <c>cgi-bin/menu/addconditional</c>: a menu the followers of one tag see instead of the default one (which must
    /// exist: 65303 otherwise); returns its <c>menuid</c>.
    /// </summary>
    public async Task<string> AddConditionalMenuAsync(string appId, IReadOnlyList<MenuButton> buttons, MenuMatchRule rule, CancellationToken ct = default)
    {
        const string api = "cgi-bin/menu/addconditional";
        var body = await SendWithTokenAsync(api, appId, token => new HttpRequestMessage(HttpMethod.Post, $"{api}?access_token={Uri.EscapeDataString(token)}")
        {
            Content = Json(new { button = buttons.Select(Wire).ToList(), matchrule = new { tag_id = rule.TagId } }),
        }, ct);
        return body.OptionalString("menuid") ?? body.OptionalInt64("menuid")?.ToString(System.Globalization.CultureInfo.InvariantCulture)
            ?? throw new HttpRequestException(HttpRequestError.InvalidResponse, $"WeChat API {api} answered without 'menuid'.");
    }

    /// <summary><c>cgi-bin/menu/delconditional</c>: removes one conditional menu (65301 when there is no such menuid).</summary>
    public async Task DeleteConditionalMenuAsync(string appId, string menuId, CancellationToken ct = default)
    {
        const string api = "cgi-bin/menu/delconditional";
        await SendWithTokenAsync(api, appId, token => new HttpRequestMessage(HttpMethod.Post, $"{api}?access_token={Uri.EscapeDataString(token)}")
        {
            Content = Json(new { menuid = menuId }),
        }, ct);
    }

    /// <summary><c>cgi-bin/menu/delete</c>: removes the default menu and every conditional menu.</summary>
    public async Task DeleteMenuAsync(string appId, CancellationToken ct = default)
    {
        const string api = "cgi-bin/menu/delete";
        await SendWithTokenAsync(api, appId, token =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, $"{api}?access_token={Uri.EscapeDataString(token)}");
            request.Options.Set(WechatHttp.RetrySafe, true);
            return request;
        }, ct);
    }

    /// <summary>
    /// <c>cgi-bin/get_current_selfmenu_info</c>: the default menu as WeChat serves it. Its sub-buttons come as
    /// <c>{"sub_button":{"list":[...]}}</c>, and buttons set in the MP backend carry a <c>value</c> instead of a key.
    /// </summary>
    public async Task<CurrentMenu> GetCurrentMenuAsync(string appId, CancellationToken ct = default)
    {
        const string api = "cgi-bin/get_current_selfmenu_info";
        var body = await SendWithTokenAsync(api, appId, token =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, $"{api}?access_token={Uri.EscapeDataString(token)}");
            request.Options.Set(WechatHttp.RetrySafe, true);
            return request;
        }, ct);

        var buttons = body.TryGetProperty("selfmenu_info", out var info) && info.ValueKind == JsonValueKind.Object
            && info.TryGetProperty("button", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(ReadButton).ToList()
            : [];
        return new CurrentMenu(body.OptionalInt64("is_menu_open") == 1, buttons);
    }

    private static Dictionary<string, object> Wire(MenuButton button)
    {
        var wire = new Dictionary<string, object> { ["name"] = button.Name };
        if (button.SubButtons is { Count: > 0 } subs)
        {
            wire["sub_button"] = subs.Select(Wire).ToList();
            return wire;
        }

        void Put(string name, string? value)
        {
            if (value is not null)
            {
                wire[name] = value;
            }
        }

        Put("type", button.Type);
        Put("key", button.Key);
        Put("url", button.Url);
        Put("appid", button.AppId);
        Put("pagepath", button.PagePath);
        return wire;
    }

    private static MenuButton ReadButton(JsonElement button)
    {
        List<MenuButton>? subs = null;
        if (button.TryGetProperty("sub_button", out var sub))
        {
            var items = sub.ValueKind == JsonValueKind.Object && sub.TryGetProperty("list", out var l) ? l : sub;
            subs = items.ValueKind == JsonValueKind.Array ? items.EnumerateArray().Select(ReadButton).ToList() : null;
        }

        return new MenuButton(
            button.OptionalString("name") ?? "",
            NullIfEmpty(button.OptionalString("type")),
            NullIfEmpty(button.OptionalString("key")) ?? NullIfEmpty(button.OptionalString("value")),
            NullIfEmpty(button.OptionalString("url")),
            NullIfEmpty(button.OptionalString("appid")),
            NullIfEmpty(button.OptionalString("pagepath")),
            subs is { Count: > 0 } ? subs : null);
    }
}

using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using WechatSimulator.Wechat;

namespace WechatSimulator.Menus;

/// <summary>The custom menus of each account: the default one and the conditional ones, by menuid.</summary>
public sealed class MenuStore
{
    private readonly ConcurrentDictionary<string, AccountMenus> _menus = new();
    private long _nextMenuId = 208_379_532;

    public sealed record AccountMenus(JsonArray Default, IReadOnlyDictionary<string, (JsonArray Buttons, JsonObject MatchRule)> Conditional);

    public AccountMenus? Find(string appId) => _menus.GetValueOrDefault(appId);

    /// <summary>menu/create replaces the default menu; WeChat keeps the conditional ones.</summary>
    public void SetDefault(string appId, JsonArray buttons) =>
        _menus.AddOrUpdate(appId, _ => new(buttons, new Dictionary<string, (JsonArray, JsonObject)>()), (_, old) => old with { Default = buttons });

    public string? AddConditional(string appId, JsonArray buttons, JsonObject matchRule)
    {
        var id = Interlocked.Increment(ref _nextMenuId).ToString(CultureInfo.InvariantCulture);
        var added = false;
        _menus.AddOrUpdate(appId, _ => throw new InvalidOperationException("no default menu"), (_, old) =>
        {
            added = true;
            return old with { Conditional = new Dictionary<string, (JsonArray, JsonObject)>(old.Conditional) { [id] = (buttons, matchRule) } };
        });
        return added ? id : null;
    }

    public bool DeleteConditional(string appId, string menuId)
    {
        var removed = false;
        _menus.AddOrUpdate(appId, _ => throw new InvalidOperationException("no menu"), (_, old) =>
        {
            var rest = new Dictionary<string, (JsonArray, JsonObject)>(old.Conditional);
            removed = rest.Remove(menuId);
            return old with { Conditional = rest };
        });
        return removed;
    }

    public void Delete(string appId) => _menus.TryRemove(appId, out _);

    public void Clear() => _menus.Clear();
}

/// <summary>
/// <c>cgi-bin/menu/create</c>, <c>menu/addconditional</c>, <c>menu/delconditional</c>, <c>menu/delete</c>,
/// <c>menu/get</c> and <c>get_current_selfmenu_info</c>, with WeChat's errcodes for a menu that breaks its rules.
/// </summary>
public static class MenuEndpoints
{
    // WeChat's errcodes for the menu APIs (global return codes).
    private static readonly Dictionary<int, string> Errors = new()
    {
        [40016] = "invalid button size", [40017] = "invalid button type", [40018] = "invalid button name size",
        [40019] = "invalid button key size", [40020] = "invalid button url size", [40022] = "invalid sub button level",
        [40023] = "invalid sub button size", [40024] = "invalid sub button type", [40025] = "invalid sub button name size",
        [40026] = "invalid sub button key size", [40027] = "invalid sub button url size", [40165] = "invalid weapp pagepath",
        [46003] = "menu no exist", [65301] = "menuid not exist", [65303] = "no default menu", [65304] = "match rule empty",
    };

    private static readonly HashSet<string> KeyTypes = ["click", "scancode_push", "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album", "pic_weixin", "location_select"];

    public static void MapMenus(this IEndpointRouteBuilder app)
    {
        app.MapPost("/cgi-bin/menu/create", CreateAsync).WithTags("WeChat");
        app.MapPost("/cgi-bin/menu/addconditional", AddConditionalAsync).WithTags("WeChat");
        app.MapPost("/cgi-bin/menu/delconditional", DeleteConditionalAsync).WithTags("WeChat");
        app.MapGet("/cgi-bin/menu/delete", DeleteAsync).WithTags("WeChat");
        app.MapGet("/cgi-bin/menu/get", GetAsync).WithTags("WeChat");
        app.MapGet("/cgi-bin/get_current_selfmenu_info", CurrentAsync).WithTags("WeChat");
        app.MapGet("/_sim/menus", (string appid, SimulatorState state) => state.Menus.Find(appid) is { } menus
            ? Results.Ok(new { @default = menus.Default, conditional = menus.Conditional.Keys.Order(StringComparer.Ordinal) })
            : Results.NotFound()).WithTags("Simulator");
    }

    private static WechatStatus Status(int errcode) => new(errcode, Errors[errcode]);

    public static async Task<Ok<WechatStatus>> CreateAsync(HttpRequest request, SimulatorState state, CancellationToken ct)
    {
        var (appId, body, error) = await WechatCall.BeginJsonAsync(request, state, "menu/create", ct);
        if (error is not null)
        {
            return TypedResults.Ok(error);
        }

        var (buttons, invalid) = Buttons(body);
        if (invalid is { } code)
        {
            return TypedResults.Ok(Status(code));
        }

        state.Menus.SetDefault(appId!, buttons!);
        return TypedResults.Ok(WechatStatus.Ok);
    }

    public static async Task<IResult> AddConditionalAsync(HttpRequest request, SimulatorState state, CancellationToken ct)
    {
        var (appId, body, error) = await WechatCall.BeginJsonAsync(request, state, "menu/addconditional", ct);
        if (error is not null)
        {
            return TypedResults.Ok(error);
        }

        var (buttons, invalid) = Buttons(body);
        if (invalid is { } code)
        {
            return TypedResults.Ok(Status(code));
        }

        if (!body.TryGetProperty("matchrule", out var rule) || rule.ValueKind != JsonValueKind.Object || !rule.EnumerateObject().Any(p => p.Value.ValueKind == JsonValueKind.String && p.Value.GetString() != ""))
        {
            return TypedResults.Ok(Status(65304));
        }

        if (state.Menus.Find(appId!) is null)
        {
            return TypedResults.Ok(Status(65303));
        }

        var id = state.Menus.AddConditional(appId!, buttons!, JsonNode.Parse(rule.GetRawText())!.AsObject());
        return TypedResults.Ok(new { menuid = id });
    }

    public static async Task<Ok<WechatStatus>> DeleteConditionalAsync(HttpRequest request, SimulatorState state, CancellationToken ct)
    {
        var (appId, body, error) = await WechatCall.BeginJsonAsync(request, state, "menu/delconditional", ct);
        if (error is not null)
        {
            return TypedResults.Ok(error);
        }

        var menuId = body.TryGetProperty("menuid", out var m) ? (m.ValueKind == JsonValueKind.Number ? m.GetRawText() : m.GetString()) : null;
        return TypedResults.Ok(menuId is not null && state.Menus.Find(appId!) is not null && state.Menus.DeleteConditional(appId!, menuId) ? WechatStatus.Ok : Status(65301));
    }

    public static async Task<Ok<WechatStatus>> DeleteAsync(HttpRequest request, SimulatorState state, CancellationToken ct)
    {
        var (appId, error) = await WechatCall.BeginAuthorizedAsync(request, state, "menu/delete", ct);
        if (error is not null)
        {
            return TypedResults.Ok(error);
        }

        state.Menus.Delete(appId!);
        return TypedResults.Ok(WechatStatus.Ok);
    }

    /// <summary><c>{"menu":{"button":[...]},"conditionalmenu":[{"button":[...],"matchrule":{...},"menuid":N}]}</c>; 46003 without a menu.</summary>
    public static async Task<IResult> GetAsync(HttpRequest request, SimulatorState state, CancellationToken ct)
    {
        var (appId, error) = await WechatCall.BeginAuthorizedAsync(request, state, "menu/get", ct);
        if (error is not null)
        {
            return TypedResults.Ok(error);
        }

        if (state.Menus.Find(appId!) is not { } menus)
        {
            return TypedResults.Ok(Status(46003));
        }

        return TypedResults.Ok(new
        {
            menu = new { button = menus.Default },
            conditionalmenu = menus.Conditional.Select(c => new { button = c.Value.Buttons, matchrule = c.Value.MatchRule, menuid = long.Parse(c.Key, CultureInfo.InvariantCulture) }),
        });
    }

    /// <summary>
    /// <c>{"is_menu_open":1,"selfmenu_info":{"button":[...]}}</c>: the default menu, sub-buttons as <c>{"sub_button":{"list":[...]}}</c>;
    /// <c>is_menu_open</c> 0 and no buttons when there is none.
    /// </summary>
    public static async Task<IResult> CurrentAsync(HttpRequest request, SimulatorState state, CancellationToken ct)
    {
        var (appId, error) = await WechatCall.BeginAuthorizedAsync(request, state, "get_current_selfmenu_info", ct);
        if (error is not null)
        {
            return TypedResults.Ok(error);
        }

        if (state.Menus.Find(appId!) is not { } menus)
        {
            return TypedResults.Ok(new { is_menu_open = 0, selfmenu_info = new { button = Array.Empty<object>() } });
        }

        var buttons = new JsonArray();
        foreach (var button in menus.Default)
        {
            var copy = button!.DeepClone().AsObject();
            if (copy["sub_button"] is JsonArray subs)
            {
                copy["sub_button"] = new JsonObject { ["list"] = subs.DeepClone() };
            }

            buttons.Add(copy);
        }

        return TypedResults.Ok(new { is_menu_open = 1, selfmenu_info = new { button = buttons } });
    }

    /// <summary>The menu's buttons, or WeChat's errcode for the first of its rules they break.</summary>
    private static (JsonArray? Buttons, int? Errcode) Buttons(JsonElement body)
    {
        if (!body.TryGetProperty("button", out var top) || top.ValueKind != JsonValueKind.Array || top.GetArrayLength() is < 1 or > 3)
        {
            return (null, 40016);
        }

        foreach (var button in top.EnumerateArray())
        {
            if (button.TryGetProperty("sub_button", out var subs) && subs.ValueKind == JsonValueKind.Array && subs.GetArrayLength() > 0)
            {
                if (Bytes(button, "name") is < 1 or > 16)
                {
                    return (null, 40018);
                }

                if (subs.GetArrayLength() > 5)
                {
                    return (null, 40023);
                }

                foreach (var sub in subs.EnumerateArray())
                {
                    if (sub.TryGetProperty("sub_button", out var deeper) && deeper.ValueKind == JsonValueKind.Array && deeper.GetArrayLength() > 0)
                    {
                        return (null, 40022);
                    }

                    if (Action(sub, 60, 40024, 40025, 40026, 40027) is { } subError)
                    {
                        return (null, subError);
                    }
                }
            }
            else if (Action(button, 16, 40017, 40018, 40019, 40020) is { } topError)
            {
                return (null, topError);
            }
        }

        return (JsonNode.Parse(top.GetRawText())!.AsArray(), null);
    }

    private static int? Action(JsonElement button, int maxName, int badType, int badName, int badKey, int badUrl)
    {
        var type = button.GetString("type");
        if (Bytes(button, "name") < 1 || Bytes(button, "name") > maxName)
        {
            return badName;
        }

        if (type is null || !(KeyTypes.Contains(type) || type is "view" or "miniprogram"))
        {
            return badType;
        }

        if (KeyTypes.Contains(type) && Bytes(button, "key") is < 1 or > 128)
        {
            return badKey;
        }

        if (type is "view" or "miniprogram" && Bytes(button, "url") is < 1 or > 1024)
        {
            return badUrl;
        }

        return type == "miniprogram" && (Bytes(button, "appid") < 1 || Bytes(button, "pagepath") < 1) ? 40165 : null;
    }

    private static int Bytes(JsonElement button, string name) => button.GetString(name) is { } value ? Encoding.UTF8.GetByteCount(value) : 0;
}

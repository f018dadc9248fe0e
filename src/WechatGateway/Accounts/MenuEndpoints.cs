using System.Security.Claims;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using MySqlConnector;
using WechatGateway.Admin;
using WechatGateway.Operations;
using WechatGateway.Wechat.Api;

namespace WechatGateway.Accounts;

/// <summary>
/// <c>/api/admin/accounts/{appId}/menu</c>: the official account's custom menu. A PUT checks WeChat's rules
/// (<see cref="MenuRules"/>) before calling it, pushes the default menu (<c>menu/create</c>), replaces the conditional
/// menus it pushed last time (<c>menu/delconditional</c>, <c>menu/addconditional</c>, one per WeChat tag) and remembers
/// the menu; a GET shows it with what WeChat serves now (<c>get_current_selfmenu_info</c>). A click, scancode_push or
/// location_select button's key comes back in its event's EventKey, which is what auto-reply event rules (event
/// <c>click</c> + eventKey), steer rules and keyword points rules match.
/// </summary>
public static class MenuEndpoints
{
    /// <summary>A menu shown to the followers of one WeChat tag instead of the default menu.</summary>
    public sealed record ConditionalMenu(MenuMatchRule? MatchRule, IReadOnlyList<MenuButton>? Buttons);

    public sealed record MenuBody(IReadOnlyList<MenuButton>? Buttons, IReadOnlyList<ConditionalMenu>? Conditional);

    /// <param name="Saved">The menu last pushed through the gateway (null: never, or deleted).</param>
    /// <param name="Current">What WeChat serves now, read back.</param>
    public sealed record MenuView(string AppId, MenuBody? Saved, IReadOnlyList<string> ConditionalMenuIds, string? PushedBy, DateTime? PushedAt, CurrentMenu Current);

    private static readonly JsonSerializerOptions StoredJson = new(JsonSerializerDefaults.Web);

    public static RouteGroupBuilder MapAccountMenu(this RouteGroupBuilder admin)
    {
        var menu = admin.MapGroup("/accounts/{appId}/menu").WithTags("Accounts");
        menu.MapGet("", GetAsync).RequireAuthorization(AdminPolicies.Read)
            .WithSummary("The custom menu last pushed through the gateway, and the menu WeChat serves now (get_current_selfmenu_info).");
        menu.MapPut("", PutAsync).RequireAuthorization(AdminPolicies.AdminOnly)
            .WithSummary("Checks the menu against WeChat's rules (400 naming the rule broken), pushes it (menu/create, then menu/addconditional per tag) and saves it.");
        menu.MapDelete("", DeleteAsync).RequireAuthorization(AdminPolicies.AdminOnly)
            .WithSummary("Removes the account's menu and its conditional menus from WeChat (menu/delete).");
        return admin;
    }

    [ResponseExample("""
        { "appId": "wx5f3c2a1b9d8e7f60",
          "saved": { "buttons": [ { "name": "会员卡", "type": "click", "key": "MEMBER_CARD" }, { "name": "More", "subButtons": [ { "name": "Shop", "type": "miniprogram", "url": "https://brand.example.com/shop", "appId": "wx8e2d4c6a0b1f3e57", "pagePath": "pages/index/index" }, { "name": "Nearest store", "type": "location_select", "key": "NEAREST_STORE" } ] } ],
                     "conditional": [ { "matchRule": { "tagId": "101" }, "buttons": [ { "name": "VIP lounge", "type": "view", "url": "https://brand.example.com/vip" } ] } ] },
          "conditionalMenuIds": [ "208379533" ], "pushedBy": "ops-admin", "pushedAt": "2026-12-01T09:30:00",
          "current": { "isMenuOpen": true, "buttons": [ { "name": "会员卡", "type": "click", "key": "MEMBER_CARD" }, { "name": "More", "subButtons": [ { "name": "Shop", "type": "miniprogram", "url": "https://brand.example.com/shop", "appId": "wx8e2d4c6a0b1f3e57", "pagePath": "pages/index/index" }, { "name": "Nearest store", "type": "location_select", "key": "NEAREST_STORE" } ] } ] } }
        """)]
    public static async Task<Results<Ok<MenuView>, NotFound, ProblemHttpResult>> GetAsync(
        string appId, AccountRegistry accounts, MySqlDataSource dataSource, WechatApiClient wechat, CancellationToken ct)
    {
        if (!IsOfficialAccount(accounts, appId))
        {
            return TypedResults.NotFound();
        }

        CurrentMenu current;
        try
        {
            current = await wechat.GetCurrentMenuAsync(appId, ct);
        }
        catch (WechatApiException e)
        {
            return Refused(e);
        }

        await using var c = await dataSource.OpenConnectionAsync(ct);
        const string sql = "SELECT menu AS Menu, conditional_menu_ids AS MenuIds, pushed_by AS PushedBy, pushed_at AS PushedAt FROM account_menu WHERE app_id = @appId";
        var row = await c.QuerySingleOrDefaultAsync<(string Menu, string MenuIds, string PushedBy, DateTime PushedAt)?>(new CommandDefinition(sql, new { appId }, cancellationToken: ct));
        return TypedResults.Ok(row is { } r
            ? new MenuView(appId, JsonSerializer.Deserialize<MenuBody>(r.Menu, StoredJson), JsonSerializer.Deserialize<List<string>>(r.MenuIds) ?? [], r.PushedBy, r.PushedAt, current)
            : new MenuView(appId, null, [], null, null, current));
    }

    [RequestExample("""
        { "buttons": [ { "name": "会员卡", "type": "click", "key": "MEMBER_CARD" }, { "name": "More", "subButtons": [ { "name": "Shop", "type": "miniprogram", "url": "https://brand.example.com/shop", "appId": "wx8e2d4c6a0b1f3e57", "pagePath": "pages/index/index" }, { "name": "Scan a receipt", "type": "scancode_push", "key": "SCAN_RECEIPT" }, { "name": "Nearest store", "type": "location_select", "key": "NEAREST_STORE" } ] } ],
          "conditional": [ { "matchRule": { "tagId": "101" }, "buttons": [ { "name": "VIP lounge", "type": "view", "url": "https://brand.example.com/vip" } ] } ] }
        """)]
    [ResponseExample("""
        { "appId": "wx5f3c2a1b9d8e7f60",
          "saved": { "buttons": [ { "name": "会员卡", "type": "click", "key": "MEMBER_CARD" } ], "conditional": [ { "matchRule": { "tagId": "101" }, "buttons": [ { "name": "VIP lounge", "type": "view", "url": "https://brand.example.com/vip" } ] } ] },
          "conditionalMenuIds": [ "208379533" ], "pushedBy": "ops-admin", "pushedAt": "2026-12-01T09:30:00",
          "current": { "isMenuOpen": true, "buttons": [ { "name": "会员卡", "type": "click", "key": "MEMBER_CARD" } ] } }
        """)]
    [ResponseExample("""{ "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1", "title": "The menu breaks a rule of WeChat's", "status": 400, "detail": "buttons[1].subButtons: a top button has at most 5 sub-buttons (WeChat errcode 40023)", "errcode": 40023, "path": "buttons[1].subButtons" }""", StatusCode = 400)]
    public static async Task<Results<Ok<MenuView>, NotFound, ProblemHttpResult>> PutAsync(
        string appId, MenuBody body, ClaimsPrincipal user, AccountRegistry accounts, MySqlDataSource dataSource, WechatApiClient wechat, TimeProvider time, CancellationToken ct)
    {
        if (!IsOfficialAccount(accounts, appId))
        {
            return TypedResults.NotFound();
        }

        if (Violation(body) is { } broken)
        {
            return TypedResults.Problem(broken.ToString(), statusCode: StatusCodes.Status400BadRequest, title: "The menu breaks a rule of WeChat's",
                extensions: new Dictionary<string, object?> { ["errcode"] = broken.Errcode, ["path"] = broken.Path });
        }

        await using var c = await dataSource.OpenConnectionAsync(ct);
        const string previous = "SELECT conditional_menu_ids FROM account_menu WHERE app_id = @appId";
        var oldIds = await c.QuerySingleOrDefaultAsync<string>(new CommandDefinition(previous, new { appId }, cancellationToken: ct)) is { } json
            ? JsonSerializer.Deserialize<List<string>>(json) ?? []
            : [];
        var menuIds = new List<string>();
        try
        {
            await wechat.CreateMenuAsync(appId, body.Buttons!, ct);
            foreach (var old in oldIds)
            {
                await DeleteConditionalAsync(wechat, appId, old, ct);
            }

            foreach (var conditional in body.Conditional ?? [])
            {
                menuIds.Add(await wechat.AddConditionalMenuAsync(appId, conditional.Buttons!, conditional.MatchRule!, ct));
            }
        }
        catch (WechatApiException e)
        {
            return Refused(e);
        }

        const string save = """
            INSERT INTO account_menu (app_id, menu, conditional_menu_ids, pushed_by, pushed_at) VALUES (@appId, @menu, @ids, @by, @now)
            ON DUPLICATE KEY UPDATE menu = VALUES(menu), conditional_menu_ids = VALUES(conditional_menu_ids), pushed_by = VALUES(pushed_by), pushed_at = VALUES(pushed_at)
            """;
        var now = time.GetUtcNow().UtcDateTime;
        await c.ExecuteAsync(new CommandDefinition(save, new
        {
            appId,
            menu = JsonSerializer.Serialize(body, StoredJson),
            ids = JsonSerializer.Serialize(menuIds),
            by = user.Actor(),
            now,
        }, cancellationToken: ct));
        return TypedResults.Ok(new MenuView(appId, body, menuIds, user.Actor(), now, await wechat.GetCurrentMenuAsync(appId, ct)));
    }

    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> DeleteAsync(
        string appId, AccountRegistry accounts, MySqlDataSource dataSource, WechatApiClient wechat, CancellationToken ct)
    {
        if (!IsOfficialAccount(accounts, appId))
        {
            return TypedResults.NotFound();
        }

        try
        {
            await wechat.DeleteMenuAsync(appId, ct);
        }
        catch (WechatApiException e)
        {
            return Refused(e);
        }

        await using var c = await dataSource.OpenConnectionAsync(ct);
        await c.ExecuteAsync(new CommandDefinition("DELETE FROM account_menu WHERE app_id = @appId", new { appId }, cancellationToken: ct));
        return TypedResults.NoContent();
    }

    /// <summary>The first rule the default menu or a conditional menu breaks, with where it is in the request.</summary>
    private static MenuViolation? Violation(MenuBody body)
    {
        if (MenuRules.Check(body.Buttons) is { } top)
        {
            return top;
        }

        var conditional = body.Conditional ?? [];
        for (var i = 0; i < conditional.Count; i++)
        {
            var prefix = $"conditional[{i}]";
            // WeChat: 65304 "MatchRule 信息为空"; a tag is a number WeChat gave (tags/create).
            if (conditional[i].MatchRule is not { TagId: { } tag } || !ulong.TryParse(tag, out _))
            {
                return new MenuViolation(65304, $"{prefix}.matchRule.tagId", "a conditional menu names the WeChat tag_id of the followers who see it");
            }

            if (MenuRules.Check(conditional[i].Buttons) is { } inner)
            {
                return inner with { Path = $"{prefix}.{inner.Path}" };
            }
        }

        return null;
    }

    /// <summary>A conditional menu already gone (deleted in the MP backend, or by menu/delete) is what we wanted anyway.</summary>
    private static async Task DeleteConditionalAsync(WechatApiClient wechat, string appId, string menuId, CancellationToken ct)
    {
        try
        {
            await wechat.DeleteConditionalMenuAsync(appId, menuId, ct);
        }
        catch (WechatApiException e) when (e.ErrorCode == NoSuchConditionalMenu)
        {
        }
    }

    /// <summary>WeChat's 65301: no conditional menu has this menuid.</summary>
    private const int NoSuchConditionalMenu = 65301;

    private static bool IsOfficialAccount(AccountRegistry accounts, string appId) => accounts.Find(appId) is { Options.Type: AccountType.OfficialAccount };

    private static ProblemHttpResult Refused(WechatApiException e) =>
        TypedResults.Problem($"WeChat answered errcode {e.ErrorCode}.", statusCode: StatusCodes.Status502BadGateway, title: "WeChat refused the call",
            extensions: new Dictionary<string, object?> { ["errcode"] = e.ErrorCode });
}

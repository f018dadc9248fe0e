using System.Security.Claims;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using MySqlConnector;
using WechatGateway.Accounts;
using WechatGateway.Members;
using WechatGateway.Operations;
using WechatGateway.Stores;
using WechatGateway.Wechat.Api;

namespace WechatGateway.MiniProgram;

/// <summary><c>/api/mp</c>: what mini-program front-ends call (docs/CONTRACT.md §5).</summary>
public static class MiniProgramEndpoints
{
    public const string Policy = "mini-program";

    public sealed record SessionRequest(string? Code);

    public sealed record SessionResponse(string Token, int ExpiresIn, MemberView Member);

    public sealed record ProfileUpdate(string? Nickname, string? AvatarUrl, int? Gender, string? City, long? HomeStoreId);

    public sealed record PhoneRequest(string? Code);

    public static IEndpointRouteBuilder MapMiniProgram(this IEndpointRouteBuilder app)
    {
        var mp = app.MapGroup("/api/mp").WithTags("Mini-program");
        mp.MapPost("/{appId}/session", LoginAsync).AllowAnonymous().RequireRateLimiting(MiniProgramServiceExtensions.LoginLimit)
            .WithSummary("Logs a user in with the code from wx.login(); 429 past MiniProgram:LoginsPerMinute from one address.");
        mp.MapDelete("/session", EndSessionAsync).RequireAuthorization(Policy).WithSummary("Logs out: the token answers 401 from now on.");

        var me = mp.MapGroup("/me").RequireAuthorization(Policy);
        me.MapGet("", GetMeAsync).WithSummary("The signed-in member: profile, tier, points and stage.");
        me.MapPut("", UpdateMeAsync).WithSummary("Updates the member's profile: nickname, avatar, gender, city, home store.");
        me.MapPost("/phone", BindPhoneAsync).WithSummary("Binds the phone number from getPhoneNumber's code; the member becomes registered.");
        Campaigns.SubscriptionEndpoints.MapSubscriptions(me);
        return app;
    }

    [RequestExample("""{ "code": "0a3Xk2000Jd7bR1lWa300zQFwD0Xk20e" }""")]
    [ResponseExample("""{ "token": "mps_7f3c1e9a4b2d48c6a0e5f1b3d7c9e2a4", "expiresIn": 7200, "member": { "memberId": "10482", "nickname": "小雨", "avatarUrl": "https://thirdwx.qlogo.cn/mmopen/vi_32/Q0j4TwGTfTK/132", "gender": 2, "city": "Shanghai", "tier": "silver", "points": { "balance": 1260, "lifetime": 1840 }, "stage": "customer", "phoneBound": true, "homeStoreId": 3 } }""")]
    public static async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> LoginAsync(
        string appId, SessionRequest request, AccountRegistry accounts, WechatApiClient wechat, MemberResolver resolver,
        MemberMerger merger, MemberQueries queries, MemberStore store, MiniProgramSessions sessions, MySqlDataSource dataSource, CancellationToken ct)
    {
        if (accounts.Find(appId) is not { Options.Type: AccountType.MiniProgram })
        {
            return Problem(StatusCodes.Status404NotFound, "Unknown mini-program",
                $"No mini-program with the appId '{appId}' is served here: log in with the appId of a mini-program in Wechat:Accounts (Type MiniProgram).");
        }

        if (string.IsNullOrWhiteSpace(request.Code) || request.Code.Length > 256)
        {
            return Problem(StatusCodes.Status400BadRequest, "code is required", "Send the code from wx.login().");
        }

        Code2SessionResult login;
        try
        {
            login = await wechat.Code2SessionAsync(appId, request.Code, ct);
        }
        catch (WechatApiException e)
        {
            // A wx.login() code is valid once, for 5 minutes.
            return Refused(e, StatusCodes.Status401Unauthorized, "Invalid login code", "The code is unknown, expired or already used; call wx.login() again.");
        }

        var (memberId, created) = await resolver.ResolveAsync(appId, login.OpenId, AccountType.MiniProgram, ct);
        if (login.UnionId is { Length: > 0 } unionId)
        {
            memberId = await merger.AttachUnionIdAsync(appId, login.OpenId, unionId, "mini-program login", ct);
        }

        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            await store.TouchAsync(connection, null, memberId, ct);
            await store.RefreshStageAsync(connection, null, memberId, ct);
            if (created)
            {
                await store.AddTimelineAsync(connection, null, memberId, "login", "first mini-program login", appId, $"mp-first-login:{appId}:{login.OpenId}", ct);
            }
        }

        var token = await sessions.CreateAsync(new MiniProgramSession(appId, login.OpenId));
        var member = await queries.GetAsync(memberId, ct) ?? throw new InvalidOperationException($"member {memberId} vanished");
        return TypedResults.Ok(new SessionResponse(token, (int)MiniProgramSessions.Lifetime.TotalSeconds, member));
    }

    public static async Task<NoContent> EndSessionAsync(HttpRequest request, MiniProgramSessions sessions)
    {
        // The policy has authenticated this very header, so it holds a live token.
        await sessions.EndAsync(request.Headers.Authorization.ToString()["Bearer ".Length..].Trim());
        return TypedResults.NoContent();
    }

    [ResponseExample("""{ "memberId": "10482", "nickname": "小雨", "avatarUrl": "https://thirdwx.qlogo.cn/mmopen/vi_32/Q0j4TwGTfTK/132", "gender": 2, "city": "Shanghai", "tier": "silver", "points": { "balance": 1260, "lifetime": 1840 }, "stage": "customer", "phoneBound": true, "homeStoreId": 3 }""")]
    public static async Task<Results<Ok<MemberView>, NotFound>> GetMeAsync(ClaimsPrincipal user, MemberResolver resolver, MemberQueries queries, CancellationToken ct)
    {
        var memberId = await CurrentMemberAsync(user, resolver, ct);
        return await queries.GetAsync(memberId, ct) is { } member ? TypedResults.Ok(member) : TypedResults.NotFound();
    }

    [RequestExample("""{ "nickname": "小雨", "avatarUrl": "https://thirdwx.qlogo.cn/mmopen/vi_32/Q0j4TwGTfTK/132", "gender": 2, "city": "Shanghai", "homeStoreId": 3 }""")]
    [ResponseExample("""{ "memberId": "10482", "nickname": "小雨", "avatarUrl": "https://thirdwx.qlogo.cn/mmopen/vi_32/Q0j4TwGTfTK/132", "gender": 2, "city": "Shanghai", "tier": "silver", "points": { "balance": 1260, "lifetime": 1840 }, "stage": "customer", "phoneBound": true, "homeStoreId": 3 }""")]
    public static async Task<Results<Ok<MemberView>, ValidationProblem, NotFound>> UpdateMeAsync(
        ProfileUpdate update, ClaimsPrincipal user, MemberResolver resolver, MemberQueries queries, MemberStore store, MySqlDataSource dataSource, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (update.Nickname is { Length: > 100 })
        {
            errors["nickname"] = ["at most 100 characters"];
        }

        if (update.AvatarUrl is { } avatar && (avatar.Length > 500 || !Uri.TryCreate(avatar, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps))
        {
            errors["avatarUrl"] = ["an https URL of at most 500 characters"];
        }

        if (update.Gender is < 0 or > 2)
        {
            errors["gender"] = ["0 (unknown), 1 (male) or 2 (female)"];
        }

        if (update.City is { Length: > 100 })
        {
            errors["city"] = ["at most 100 characters"];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var memberId = await CurrentMemberAsync(user, resolver, ct);
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            // A home store puts the member under that store's managers: only a store that exists and is open may be chosen.
            if (update.HomeStoreId is { } storeId && !await StoreQueries.IsActiveAsync(connection, storeId, ct))
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["homeStoreId"] = [$"store {storeId} does not exist or is closed"] });
            }

            const string current = "SELECT home_store_id FROM member WHERE id = @memberId";
            var previous = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(current, new { memberId }, cancellationToken: ct));
            const string sql = """
                UPDATE member SET nickname = COALESCE(@Nickname, nickname), avatar_url = COALESCE(@AvatarUrl, avatar_url),
                                  gender = COALESCE(@Gender, gender), city = COALESCE(@City, city),
                                  home_store_id = COALESCE(@HomeStoreId, home_store_id)
                WHERE id = @memberId
                """;
            await connection.ExecuteAsync(new CommandDefinition(sql, new { update.Nickname, update.AvatarUrl, update.Gender, update.City, update.HomeStoreId, memberId }, cancellationToken: ct));
            if (update.HomeStoreId is { } chosen && chosen != previous)
            {
                var appId = user.FindFirstValue(MiniProgramAuthenticationHandler.AppIdClaim);
                var summary = previous is null ? $"home store set to {chosen}" : $"home store changed from {previous} to {chosen}";
                await store.AddTimelineAsync(connection, null, memberId, "home-store", summary, appId, $"home-store:{memberId}:{Guid.NewGuid():N}", ct);
            }
        }

        return await queries.GetAsync(memberId, ct) is { } member ? TypedResults.Ok(member) : TypedResults.NotFound();
    }

    [RequestExample("""{ "code": "e31968a7f94cc5ee25fafc2aef2773f0bb8c3937b22520eb8ee345274d00c144" }""")]
    [ResponseExample("""{ "memberId": "10482", "nickname": "小雨", "avatarUrl": "https://thirdwx.qlogo.cn/mmopen/vi_32/Q0j4TwGTfTK/132", "gender": 2, "city": "Shanghai", "tier": "silver", "points": { "balance": 1260, "lifetime": 1840 }, "stage": "customer", "phoneBound": true, "homeStoreId": 3 }""")]
    public static async Task<Results<Ok<MemberView>, ProblemHttpResult, NotFound>> BindPhoneAsync(
        PhoneRequest request, ClaimsPrincipal user, WechatApiClient wechat, MemberResolver resolver, MemberQueries queries,
        MemberStore store, MySqlDataSource dataSource, TimeProvider time, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Code) || request.Code.Length > 256)
        {
            return Problem(StatusCodes.Status400BadRequest, "code is required", "Send the code from the getPhoneNumber button.");
        }

        var appId = user.FindFirstValue(MiniProgramAuthenticationHandler.AppIdClaim)!;
        PhoneNumber phone;
        try
        {
            phone = await wechat.GetPhoneNumberAsync(appId, request.Code, ct);
        }
        catch (WechatApiException e)
        {
            return Refused(e, StatusCodes.Status400BadRequest, "Invalid phone code", "The phone code is unknown, expired or already used.");
        }

        var memberId = await CurrentMemberAsync(user, resolver, ct);
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            try
            {
                const string sql = "UPDATE member SET phone = @phone, phone_bound_at = @now WHERE id = @memberId";
                await connection.ExecuteAsync(new CommandDefinition(sql, new { phone = phone.PhoneNumberWithCountryCode, now = time.GetUtcNow().UtcDateTime, memberId }, cancellationToken: ct));
            }
            catch (MySqlException e) when (e.ErrorCode == MySqlErrorCode.DuplicateKeyEntry)
            {
                return Problem(StatusCodes.Status409Conflict, "Phone number already bound", "This phone number belongs to another member.");
            }

            await store.RefreshStageAsync(connection, null, memberId, ct);
            await store.AddTimelineAsync(connection, null, memberId, "phone", "bound a phone number", appId, $"phone:{memberId}:{phone.PurePhoneNumber}", ct);
        }

        return await queries.GetAsync(memberId, ct) is { } member ? TypedResults.Ok(member) : TypedResults.NotFound();
    }

    /// <summary>The signed-in user: its account, OpenID and member.</summary>
    internal static async Task<(string AppId, string OpenId, ulong MemberId)> CurrentAsync(ClaimsPrincipal user, MemberResolver resolver, CancellationToken ct)
    {
        var appId = user.FindFirstValue(MiniProgramAuthenticationHandler.AppIdClaim)!;
        var openId = user.FindFirstValue(MiniProgramAuthenticationHandler.OpenIdClaim)!;
        return (appId, openId, (await resolver.ResolveAsync(appId, openId, AccountType.MiniProgram, ct)).MemberId);
    }

    private static async Task<ulong> CurrentMemberAsync(ClaimsPrincipal user, MemberResolver resolver, CancellationToken ct) =>
        (await CurrentAsync(user, resolver, ct)).MemberId;

    /// <summary>A code WeChat refused is the caller's problem; any other refusal is WeChat's (502).</summary>
    private static ProblemHttpResult Refused(WechatApiException e, int codeStatus, string codeTitle, string codeDetail) =>
        e.Code is WechatErrorCode.InvalidCode or WechatErrorCode.CodeBeenUsed
            ? Problem(codeStatus, codeTitle, codeDetail)
            : Problem(StatusCodes.Status502BadGateway, "WeChat refused the call", $"WeChat answered errcode {e.ErrorCode}.");

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail, title: title, statusCode: status);
}

using System.Security.Claims;
using System.Xml;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using MySqlConnector;
using WechatGateway.Admin;
using WechatGateway.Members;
using WechatGateway.MiniProgram;
using WechatGateway.Operations;

namespace WechatGateway.Feedback;

/// <summary>
/// The after-purchase survey: the member's orders and answers in the mini-program (<c>/api/mp/me/orders</c>,
/// <c>/api/mp/me/feedback</c>), and for ops the answers (<c>/api/admin/feedback</c>), the average rating per store and
/// the survey delay per account and store.
/// </summary>
public static class FeedbackEndpoints
{
    public sealed record MyFeedback(int Rating, string? Comment, DateTime At);

    public sealed record MyOrder(string OrderNo, decimal Amount, ulong? StoreId, string? StoreName, DateTime PaidAt, long Awarded, MyFeedback? Feedback);

    public sealed record FeedbackCreated(string OrderNo, int Rating, long Awarded);

    public sealed record FeedbackView(ulong Id, string OrderNo, decimal Amount, DateTime PaidAt, ulong? StoreId, string? StoreName, string MemberId, int Rating, string? Comment, long Awarded, bool Alerted, DateTime At);

    public sealed record StoreRating(ulong? StoreId, string? StoreName, double Average, long Answers, long Low);

    public sealed record SettingInput(string? AppId, long? StoreId, string? SurveyAfter);

    public sealed record SettingView(string? AppId, long? StoreId, string? SurveyAfter, DateTime UpdatedAt, string UpdatedBy);

    public static IEndpointRouteBuilder MapFeedbackMiniProgram(this IEndpointRouteBuilder app)
    {
        var mp = app.MapGroup("/api/mp/me").WithTags("Mini-program").RequireAuthorization(MiniProgramEndpoints.Policy);
        mp.MapGet("/orders", MyOrdersAsync).WithSummary("The member's orders, newest first, each with its feedback once answered.");
        mp.MapPost("/feedback", AnswerAsync).WithSummary("Rates one of the member's orders (1-5, with an optional comment), once per order: 409 after.");
        return app;
    }

    public static RouteGroupBuilder MapFeedbackAdmin(this RouteGroupBuilder admin)
    {
        var feedback = admin.MapGroup("/feedback").WithTags("Feedback");
        feedback.MapGet("", ListAsync).RequireAuthorization(AdminPolicies.Read).AuditReads()
            .WithSummary("Answers to after-purchase surveys with their order, newest first; store managers see their stores' only.");
        feedback.MapGet("/ratings", RatingsAsync).RequireAuthorization(AdminPolicies.Read)
            .WithSummary("Average rating per store over a date range (the dashboard's panel).");
        feedback.MapGet("/settings", ListSettingsAsync).RequireAuthorization(AdminPolicies.Read)
            .WithSummary("How long after a purchase its survey is sent, per account and store.");
        feedback.MapPut("/settings", SaveSettingAsync).RequireAuthorization(AdminPolicies.Write)
            .WithSummary("Sets the survey delay (ISO 8601, e.g. P2D) of an account, a store, both, or everything (both null); surveyAfter null turns surveys off there. Store managers set their own stores only.");
        return admin;
    }

    [ResponseExample("""[ { "orderNo": "POS-20261201-000123", "amount": 128.00, "storeId": 3, "storeName": "Jing'an", "paidAt": "2026-12-01T03:20:00", "awarded": 128, "feedback": { "rating": 5, "comment": "Lovely staff", "at": "2026-12-03T09:12:44" } } ]""")]
    public static async Task<Ok<IReadOnlyList<MyOrder>>> MyOrdersAsync(ClaimsPrincipal user, MemberResolver resolver, MySqlDataSource dataSource, CancellationToken ct)
    {
        var (memberId, _) = await resolver.CurrentMemberAsync(user, ct);
        const string sql = """
            SELECT o.order_no AS OrderNo, o.amount AS Amount, o.store_id AS StoreId, s.name AS StoreName, o.paid_at AS PaidAt, o.awarded AS Awarded,
                   f.rating AS Rating, f.comment AS Comment, f.created_at AS AnsweredAt
            FROM shop_order o
            LEFT JOIN store s ON s.id = o.store_id
            LEFT JOIN order_feedback f ON f.order_id = o.id
            WHERE o.member_id = @memberId
            ORDER BY o.paid_at DESC, o.id DESC LIMIT 100
            """;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<OrderRow>(new CommandDefinition(sql, new { memberId }, cancellationToken: ct));
        return TypedResults.Ok<IReadOnlyList<MyOrder>>([.. rows.Select(r => new MyOrder(r.OrderNo, r.Amount, r.StoreId, r.StoreName, r.PaidAt, r.Awarded,
            r.Rating is { } rating ? new MyFeedback(rating, r.Comment, r.AnsweredAt!.Value) : null))]);
    }

    [RequestExample("""{ "orderNo": "POS-20261201-000123", "rating": 5, "comment": "Lovely staff" }""")]
    [ResponseExample("""{ "orderNo": "POS-20261201-000123", "rating": 5, "awarded": 20 }""", StatusCode = 201)]
    public static async Task<Results<Created<FeedbackCreated>, ValidationProblem, ProblemHttpResult>> AnswerAsync(
        FeedbackInput input, ClaimsPrincipal user, MemberResolver resolver, FeedbackAnswers answers, CancellationToken ct)
    {
        if (input.Validate() is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var (memberId, appId) = await resolver.CurrentMemberAsync(user, ct);
        var result = await answers.AnswerAsync(memberId, appId, input, ct);
        return result.Outcome switch
        {
            FeedbackOutcome.NoSuchOrder => TypedResults.Problem("The member has no order with this orderNo.", title: "No such order", statusCode: StatusCodes.Status404NotFound),
            FeedbackOutcome.AlreadyAnswered => TypedResults.Problem("This order was rated already; the first answer stands.", title: "Already answered", statusCode: StatusCodes.Status409Conflict),
            _ => TypedResults.Created($"/api/mp/me/orders", new FeedbackCreated(input.OrderNo!.Trim(), input.Rating!.Value, result.Awarded)),
        };
    }

    [ResponseExample("""[ { "id": 91, "orderNo": "POS-20261201-000123", "amount": 128.00, "paidAt": "2026-12-01T03:20:00", "storeId": 3, "storeName": "Jing'an", "memberId": "10482", "rating": 2, "comment": "Waited 20 minutes", "awarded": 20, "alerted": true, "at": "2026-12-03T09:12:44" } ]""")]
    public static async Task<Results<Ok<IReadOnlyList<FeedbackView>>, ProblemHttpResult>> ListAsync(
        long? storeId, int? rating, DateTime? from, DateTime? to, int? limit, ClaimsPrincipal user, MySqlDataSource dataSource, CancellationToken ct)
    {
        if (storeId is { } store && !user.CanReadStore(store))
        {
            return TypedResults.Problem("A store manager reads the feedback of its own stores only.", title: "Not your store", statusCode: StatusCodes.Status403Forbidden);
        }

        if (rating is < 1 or > 5 || limit is < 1 or > 1000)
        {
            return TypedResults.Problem("rating is 1 to 5, limit 1 to 1000.", statusCode: StatusCodes.Status400BadRequest);
        }

        var mine = user.StoresOf();
        var sql = $"""
            SELECT f.id AS Id, o.order_no AS OrderNo, o.amount AS Amount, o.paid_at AS PaidAt, f.store_id AS StoreId, s.name AS StoreName, f.member_id AS MemberId,
                   f.rating AS Rating, f.comment AS Comment, f.awarded AS Awarded, f.alerted AS Alerted, f.created_at AS At
            FROM order_feedback f
            JOIN shop_order o ON o.id = f.order_id
            LEFT JOIN store s ON s.id = f.store_id
            WHERE (@storeId IS NULL OR f.store_id = @storeId) AND (@rating IS NULL OR f.rating = @rating)
              AND (@from IS NULL OR f.created_at >= @from) AND (@to IS NULL OR f.created_at < @to)
              {(mine is null ? "" : "AND f.store_id IN @mine")}
            ORDER BY f.id DESC LIMIT @limit
            """;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<FeedbackRow>(new CommandDefinition(sql, new { storeId, rating, from = from?.ToUniversalTime(), to = to?.ToUniversalTime(), mine, limit = limit ?? 100 }, cancellationToken: ct));
        return TypedResults.Ok<IReadOnlyList<FeedbackView>>([.. rows.Select(r => new FeedbackView(
            r.Id, r.OrderNo, r.Amount, r.PaidAt, r.StoreId, r.StoreName, MemberQueries.Id(r.MemberId), r.Rating, r.Comment, r.Awarded, r.Alerted, r.At))]);
    }

    [ResponseExample("""[ { "storeId": 3, "storeName": "Jing'an", "average": 4.35, "answers": 120, "low": 7 } ]""")]
    public static async Task<Ok<IReadOnlyList<StoreRating>>> RatingsAsync(DateTime? from, DateTime? to, ClaimsPrincipal user, MySqlDataSource dataSource, CancellationToken ct)
    {
        var mine = user.StoresOf();
        var sql = $"""
            SELECT f.store_id AS StoreId, s.name AS StoreName, AVG(f.rating) AS Average, COUNT(*) AS Answers, SUM(f.rating <= @low) AS Low
            FROM order_feedback f LEFT JOIN store s ON s.id = f.store_id
            WHERE (@from IS NULL OR f.created_at >= @from) AND (@to IS NULL OR f.created_at < @to) {(mine is null ? "" : "AND f.store_id IN @mine")}
            GROUP BY f.store_id, s.name ORDER BY f.store_id
            """;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<RatingRow>(new CommandDefinition(sql, new { from = from?.ToUniversalTime(), to = to?.ToUniversalTime(), mine, low = FeedbackInput.LowRating }, cancellationToken: ct));
        return TypedResults.Ok<IReadOnlyList<StoreRating>>([.. rows.Select(r => new StoreRating(r.StoreId, r.StoreName, Math.Round((double)r.Average, 2), r.Answers, (long)r.Low))]);
    }

    [ResponseExample("""[ { "appId": null, "storeId": null, "surveyAfter": "P2D", "updatedAt": "2026-12-01T02:00:00", "updatedBy": "ops" }, { "appId": null, "storeId": 3, "surveyAfter": "PT6H", "updatedAt": "2026-12-01T02:05:00", "updatedBy": "ops" } ]""")]
    public static async Task<Ok<IReadOnlyList<SettingView>>> ListSettingsAsync(ClaimsPrincipal user, MySqlDataSource dataSource, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var settings = await FeedbackSurveys.ListSettingsAsync(c, user.StoresOf(), ct);
        return TypedResults.Ok<IReadOnlyList<SettingView>>([.. settings.Select(s => new SettingView(s.AppId, s.StoreId, s.SurveyAfter is { } a ? XmlConvert.ToString(a) : null, s.UpdatedAt, s.UpdatedBy))]);
    }

    [RequestExample("""{ "appId": null, "storeId": 3, "surveyAfter": "P2D" }""")]
    public static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> SaveSettingAsync(
        SettingInput input, ClaimsPrincipal user, MySqlDataSource dataSource, TimeProvider time, CancellationToken ct)
    {
        TimeSpan? after = null;
        if (input.SurveyAfter is { } text)
        {
            try
            {
                after = XmlConvert.ToTimeSpan(text);
            }
            catch (FormatException)
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["surveyAfter"] = ["an ISO 8601 duration such as P2D or PT6H, or null for no survey"] });
            }
        }

        if (after is { } a && (a < TimeSpan.Zero || a > TimeSpan.FromDays(90)) || input.AppId is { Length: > 64 } || input.StoreId is <= 0)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["surveyAfter"] = ["from PT0S to P90D; appId at most 64 characters; storeId positive"] });
        }

        if (user.Role() != AdminRole.Admin && (input.StoreId is not { } store || !user.CanWriteStore(store)))
        {
            return TypedResults.Problem("A store manager sets the survey delay of its own stores only (storeId).", title: "Not your store", statusCode: StatusCodes.Status403Forbidden);
        }

        await using var c = await dataSource.OpenConnectionAsync(ct);
        await FeedbackSurveys.SaveSettingAsync(c, string.IsNullOrWhiteSpace(input.AppId) ? null : input.AppId, input.StoreId, after, user.Actor(), time.GetUtcNow().UtcDateTime, ct);
        return TypedResults.NoContent();
    }


    private sealed class OrderRow
    {
        public string OrderNo { get; init; } = "";
        public decimal Amount { get; init; }
        public ulong? StoreId { get; init; }
        public string? StoreName { get; init; }
        public DateTime PaidAt { get; init; }
        public long Awarded { get; init; }
        public int? Rating { get; init; }
        public string? Comment { get; init; }
        public DateTime? AnsweredAt { get; init; }
    }

    private sealed class FeedbackRow
    {
        public ulong Id { get; init; }
        public string OrderNo { get; init; } = "";
        public decimal Amount { get; init; }
        public DateTime PaidAt { get; init; }
        public ulong? StoreId { get; init; }
        public string? StoreName { get; init; }
        public ulong MemberId { get; init; }
        public int Rating { get; init; }
        public string? Comment { get; init; }
        public long Awarded { get; init; }
        public bool Alerted { get; init; }
        public DateTime At { get; init; }
    }

    private sealed class RatingRow
    {
        public ulong? StoreId { get; init; }
        public string? StoreName { get; init; }
        public decimal Average { get; init; }
        public long Answers { get; init; }
        public decimal Low { get; init; }
    }
}

using System.ComponentModel.DataAnnotations;

namespace WechatGateway.Feedback;

/// <summary>The <c>Feedback</c> section: the after-purchase survey.</summary>
public sealed class FeedbackOptions
{
    public const string Section = "Feedback";

    /// <summary>Hours after the purchase the survey is sent where no account or store setting says otherwise (<c>PUT /api/admin/feedback/settings</c>).</summary>
    [Range(0, 2160)]
    public int SurveyAfterHours { get; set; } = 48;

    /// <summary>
    /// A survey that falls due longer ago than this when its order is imported (a back-office import of last year's
    /// sales) is skipped: a member asked about a purchase she has forgotten does not answer, and may unfollow.
    /// </summary>
    [Range(1, 365)]
    public int SurveyMaxLatenessDays { get; set; } = 7;

    /// <summary>How often the worker looks for surveys that are due.</summary>
    [Range(1, 3600)]
    public int SurveyCheckSeconds { get; set; } = 60;

    /// <summary>The mini-program where members answer (a link in the survey message); null: the message carries no link.</summary>
    [StringLength(64)]
    public string? MiniProgramAppId { get; set; }

    /// <summary>The mini-program page that answers a survey; <c>orderNo</c> is added as its query.</summary>
    [Required]
    [StringLength(200, MinimumLength = 1)]
    public string SurveyPage { get; set; } = "pages/feedback/index";

    /// <summary>The survey's text; {orderNo} and {store} are replaced.</summary>
    [Required]
    [StringLength(500, MinimumLength = 1)]
    public string SurveyText { get; set; } = "How was your purchase {orderNo} at {store}? Tell us in one tap.";

    /// <summary>
    /// Template message id per official account (<c>Feedback:SurveyTemplates:{appId}</c>), for followers whose
    /// customer-service window is closed; an account without one sends surveys only within the window.
    /// </summary>
    public Dictionary<string, string> SurveyTemplates { get; set; } = [];
}

using System.ComponentModel.DataAnnotations;

namespace WechatGateway.Feedback;

/// <summary>The <c>Feedback</c> section: the after-purchase survey.</summary>
public sealed class FeedbackOptions : IValidatableObject
{
    public const string Section = "Feedback";

    /// <summary>How long after the purchase the survey is sent where no account or store setting says otherwise (ISO 8601 in the API, "2.00:00:00" here).</summary>
    public TimeSpan SurveyAfter { get; set; } = TimeSpan.FromDays(2);

    /// <summary>
    /// A survey that falls due longer ago than this when its order is imported (a back-office import of last year's
    /// sales) is skipped: a member asked about a purchase she has forgotten does not answer, and may unfollow.
    /// </summary>
    public TimeSpan SurveyMaxLateness { get; set; } = TimeSpan.FromDays(7);

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

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (SurveyAfter < TimeSpan.Zero || SurveyAfter > TimeSpan.FromDays(90))
        {
            yield return new ValidationResult("Feedback:SurveyAfter must be from 0 to 90 days.", [nameof(SurveyAfter)]);
        }

        if (SurveyMaxLateness < TimeSpan.FromHours(1))
        {
            yield return new ValidationResult("Feedback:SurveyMaxLateness must be at least an hour.", [nameof(SurveyMaxLateness)]);
        }
    }
}

//! `weft user …`: the operator's account commands.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{bail, Context};
use clap::Subcommand;

use crate::config::GlobalArgs;
use crate::db::users::{self, UniqueField, UserError};
use crate::db::{sessions, Database};
use crate::domain::{check_new_password, Email, Username, ValidationError};

/// The user subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account (works while registration is closed). The password is asked for,
    /// or read from standard input with --password-stdin.
    Create {
        username: String,
        email: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// bcrypt cost (10 to 16).
        #[arg(long, env = "WEFT_BCRYPT_COST", default_value_t = 12,
              value_parser = clap::value_parser!(u32).range(10..=16))]
        bcrypt_cost: u32,
    },
    /// List every account.
    List,
    /// Delete an account with all its journals, transcripts, tags and sessions.
    Delete {
        /// Username or email.
        login: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Set a new password and sign the account out everywhere.
    SetPassword {
        /// Username or email.
        login: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// bcrypt cost (10 to 16).
        #[arg(long, env = "WEFT_BCRYPT_COST", default_value_t = 12,
              value_parser = clap::value_parser!(u32).range(10..=16))]
        bcrypt_cost: u32,
    },
    /// Turn off an account's two-factor sign-in (its authenticator app and recovery codes),
    /// for someone who lost both. They sign in with the password alone until they set it up
    /// again.
    #[command(name = "reset-2fa")]
    Reset2fa {
        /// Username or email.
        login: String,
    },
    /// Print a single-use link that lets the person choose a new password
    /// (PUBLIC_URL/reset/TOKEN); it replaces earlier links of the account.
    ResetLink {
        /// Username or email.
        login: String,
        /// Hours the link works for.
        #[arg(long, default_value_t = crate::accounts::reset::DEFAULT_HOURS,
              value_parser = clap::value_parser!(i64).range(1..=720))]
        hours: i64,
        /// The URL people reach Weft at (the link starts with it).
        #[arg(long, env = "WEFT_PUBLIC_URL")]
        public_url: url::Url,
        /// Whether the server takes reset links (`off` refuses to make one).
        #[arg(long, env = "WEFT_PASSWORD_RESET", value_enum,
              default_value_t = super::serve::PasswordReset::Link)]
        password_reset: super::serve::PasswordReset,
    },
}

pub async fn run(global: &GlobalArgs, command: UserCommand) -> anyhow::Result<()> {
    // Validate what can be validated before touching the database.
    let password = match &command {
        UserCommand::Create {
            username,
            email,
            password_stdin,
            ..
        } => {
            Username::parse(username).map_err(refused)?;
            Email::parse(email).map_err(refused)?;
            Some(read_password(*password_stdin)?)
        }
        UserCommand::SetPassword { password_stdin, .. } => Some(read_password(*password_stdin)?),
        _ => None,
    };
    let storage = global.storage()?;
    let db = Database::open_migrated(&global.db_config()?).await?;
    let result = with_database(&db, &storage, command, password).await;
    db.close().await;
    result
}

async fn with_database(
    db: &Database,
    storage: &crate::storage::Storage,
    command: UserCommand,
    password: Option<String>,
) -> anyhow::Result<()> {
    let pool = db.pool();
    match command {
        UserCommand::Create {
            username,
            email,
            bcrypt_cost,
            ..
        } => {
            let hash =
                crate::domain::password::hash(password.unwrap_or_default(), bcrypt_cost).await?;
            let username = Username::parse(&username).map_err(refused)?.into_string();
            let email = Email::parse(&email).map_err(refused)?.into_string();
            match users::create(pool, &username, &email, &hash).await {
                Ok(user) => println!("created {} <{}> ({})", user.username, user.email, user.id),
                Err(UserError::Taken(UniqueField::Username)) => {
                    bail!("the username {username} is already taken")
                }
                Err(UserError::Taken(UniqueField::Email)) => {
                    bail!("an account with the email {email} already exists")
                }
                Err(UserError::Database(error)) => return Err(error.into()),
            }
        }
        UserCommand::List => {
            let all = users::list(pool).await?;
            println!("{:<32} {:<40} {:<25} id", "username", "email", "created");
            for user in &all {
                println!(
                    "{:<32} {:<40} {:<25} {}",
                    user.username,
                    user.email,
                    user.created_at.format("%Y-%m-%d %H:%M UTC"),
                    user.id
                );
            }
            println!("{} account(s)", all.len());
        }
        UserCommand::Delete { login, yes } => {
            let user = users::find_by_login(pool, &login)
                .await?
                .with_context(|| format!("no account with the username or email {login}"))?;
            if !yes
                && !confirm(&format!(
                    "delete {} <{}> and everything in it?",
                    user.username, user.email
                ))?
            {
                bail!("not deleted (pass --yes to skip this question)");
            }
            users::delete(pool, user.id).await?;
            let files = crate::ingest::remove_user_media(storage, user.id).await?;
            println!(
                "deleted {} with all of its journals ({files} stored files)",
                user.username
            );
        }
        UserCommand::SetPassword {
            login, bcrypt_cost, ..
        } => {
            let user = users::find_by_login(pool, &login)
                .await?
                .with_context(|| format!("no account with the username or email {login}"))?;
            let hash =
                crate::domain::password::hash(password.unwrap_or_default(), bcrypt_cost).await?;
            let mut tx = pool.begin().await?;
            users::set_password_hash(&mut *tx, user.id, &hash).await?;
            let revoked = sessions::revoke_others(&mut *tx, user.id, None).await?;
            tx.commit().await?;
            println!(
                "password of {} changed; {revoked} session(s) signed out",
                user.username
            );
        }
        UserCommand::Reset2fa { login } => {
            let user = find(pool, &login).await?;
            if crate::db::second_factor::remove(pool, user.id).await? {
                println!(
                    "two-factor sign-in of {} is off; they sign in with the password alone",
                    user.username
                );
            } else {
                println!(
                    "{} has no two-factor sign-in; nothing changed",
                    user.username
                );
            }
        }
        UserCommand::ResetLink {
            login,
            hours,
            public_url,
            password_reset,
        } => {
            if password_reset == super::serve::PasswordReset::Off {
                bail!(
                    "password reset links are turned off (WEFT_PASSWORD_RESET=off); set it to \
                     link for the server and this command, or use `weft user set-password`"
                );
            }
            let user = find(pool, &login).await?;
            let ttl = chrono::Duration::hours(hours);
            let token = crate::accounts::reset::create_link(pool, user.id, ttl).await?;
            // Under a path prefix (https://example.org/weft) the link stays under it.
            let mut base = public_url;
            if !base.path().ends_with('/') {
                base.set_path(&format!("{}/", base.path()));
            }
            let link = base
                .join(&format!("reset/{token}"))
                .context("the public URL cannot take a path")?;
            println!("{link}");
            eprintln!(
                "a single-use link for {} to choose a new password, good for {hours} hour(s); \
                 hand it to them privately",
                user.username
            );
        }
    }
    Ok(())
}

/// The account with this username or email.
async fn find(pool: &sqlx::PgPool, login: &str) -> anyhow::Result<users::User> {
    users::find_by_login(pool, login)
        .await?
        .with_context(|| format!("no account with the username or email {login}"))
}

/// A refused value, said as the API would say it (the field is the command's argument).
fn refused(error: ValidationError) -> anyhow::Error {
    anyhow::anyhow!("{}", error.message)
}

/// Reads a new password: from standard input's first line, or asked twice at a terminal.
fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    let password = if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else {
        let first = rpassword::prompt_password("new password: ")?;
        let second = rpassword::prompt_password("again: ")?;
        if first != second {
            bail!("the two passwords differ");
        }
        first
    };
    check_new_password(&password, "password").map_err(refused)?;
    Ok(password)
}

fn confirm(question: &str) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    print!("{question} [y/N] ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

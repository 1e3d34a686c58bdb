//! NATS is the trust boundary: the private server of `waymark dev` and of these tests takes no
//! connection without the password kept in its data folder, readable by its owner only.

use tests::TestApp;

#[tokio::test]
async fn the_private_nats_server_refuses_connections_without_its_password() {
    let app = TestApp::spawn().await;
    let url = app.nats.url();
    let anonymous = async_nats::ConnectOptions::new()
        .retry_on_initial_connect()
        .max_reconnects(Some(1))
        .connect(&url);
    let anonymous = tokio::time::timeout(std::time::Duration::from_secs(5), anonymous).await;
    assert!(
        !matches!(anonymous, Ok(Ok(ref c)) if c.connection_state() == async_nats::connection::State::Connected),
        "a connection without credentials is refused"
    );
    let wrong =
        async_nats::ConnectOptions::with_user_and_password("waymark".into(), "guess".into())
            .connect(&url)
            .await;
    assert!(wrong.is_err(), "a wrong password is refused");

    // The stack itself is connected with the generated password.
    let (status, _) = app.get_text("/readyz").await;
    assert_eq!(status, 200);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for file in ["nats-password", "nats-server.conf"] {
            let meta = std::fs::metadata(app.nats.data_dir().join(file)).unwrap();
            assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{file}");
        }
    }
}

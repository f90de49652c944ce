/// Push payloads shaped as GitHub and GitLab send them (abridged: the fields around the ones Serin reads are
/// kept, so a parser that trips over neighbours would show it).
enum Payloads {
    static func githubPush(ref: String) -> String {
        """
        {
          "ref": "\(ref)",
          "before": "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
          "after": "9f3c1e0d2b7a4c5e6f8091a2b3c4d5e6f7081920",
          "repository": {
            "id": 1296269,
            "name": "models",
            "full_name": "acme/models",
            "private": true,
            "owner": {"login": "acme", "id": 1},
            "default_branch": "main"
          },
          "pusher": {"name": "ml-bot", "email": "ml-bot@example.com"},
          "created": false,
          "deleted": false,
          "forced": false,
          "compare": "https://github.com/acme/models/compare/0d1a26e67d8f...9f3c1e0d2b7a",
          "commits": [
            {
              "id": "9f3c1e0d2b7a4c5e6f8091a2b3c4d5e6f7081920",
              "message": "iris: roll out v7",
              "timestamp": "2026-11-20T10:00:00Z",
              "added": [], "removed": [], "modified": ["deployments/iris.yaml"]
            }
          ],
          "head_commit": {"id": "9f3c1e0d2b7a4c5e6f8091a2b3c4d5e6f7081920", "message": "iris: roll out v7"}
        }
        """
    }

    static let githubPing = """
        {"zen": "Keep it logically awesome.", "hook_id": 123, "hook": {"type": "Repository", "events": ["push"]},
         "repository": {"full_name": "acme/models"}}
        """

    static func gitlabPush(ref: String) -> String {
        """
        {
          "object_kind": "push",
          "event_name": "push",
          "before": "95790bf891e76fee5e1747ab589903a6a1f80f22",
          "after": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
          "ref": "\(ref)",
          "ref_protected": true,
          "checkout_sha": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
          "user_id": 4,
          "user_username": "ml-bot",
          "project_id": 15,
          "project": {
            "id": 15,
            "name": "models",
            "path_with_namespace": "acme/models",
            "default_branch": "main"
          },
          "commits": [
            {"id": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7", "message": "iris: roll out v7", "modified": ["deployments/iris.yaml"]}
          ],
          "total_commits_count": 1
        }
        """
    }
}
